/**
 * `POST /api/publish`: the application's backend posts a message to a
 * channel or to a user, as the system (`from` absent: from `system`), as a
 * named system sender (`from` with `"system": true`), or on behalf of the
 * user `from`, whose mutes then apply. A `ref` makes it idempotent within
 * `DEDUP_WINDOW_MS`, as a client frame's `ref` does. It goes through the
 * broker like any message: stored, and delivered on every instance.
 *
 * @module
 */
import {
  type Broker,
  channelTopic,
  MutedError,
  type Published,
  ReplyNotFoundError,
  userTopic,
} from "../broker/broker.ts";
import { until } from "../core/channels.ts";
import { fingerprint } from "../ids.ts";
import { type ApiSchemas, SYSTEM_SENDER } from "../protocol/api.ts";
import { mentionedKeys, userKey } from "../protocol/names.ts";
import { ApiError } from "./http.ts";

/** A publish request, as its schema checked it. */
export type PublishRequest = ReturnType<ApiSchemas["publish"]["parse"]>;

/** What publishing needs. */
export interface ApiPublishOptions {
  broker: Broker;
  /** AUTH_MODE=jwt: any username may get a direct message; otherwise only a held one. */
  anyRecipient: boolean;
}

/** Publishes `request`; resolves the message's id, and whether a `ref` made it a replay. */
export function createApiPublish(
  options: ApiPublishOptions,
): (request: PublishRequest) => Promise<{ id: string; duplicate?: true }> {
  const { broker } = options;

  async function publish(
    request: PublishRequest,
    dedupKey: string | undefined,
  ): Promise<Published> {
    const { from, system } = senderOf(request);
    const { text, replyTo, data } = request;
    const content = {
      text,
      ...(replyTo === undefined ? {} : { replyTo }),
      ...(data === undefined ? {} : { data }),
      ...(system ? { system: true as const } : {}),
      ...(dedupKey === undefined ? {} : { dedupKey }),
    };
    if (request.channel !== undefined) {
      const channel = request.channel;
      if (!(await broker.channels.exists(channel))) throw channelNotFound(channel);
      const mentions = mentionedKeys(text, data);
      return await broker.bus.publish([channelTopic(channel)], {
        kind: "channel",
        from,
        to: channel,
        ...content,
        ...(mentions.length === 0 ? {} : { mentions }),
      });
    }
    const to = await recipient(request.user!);
    // On behalf of a user, the sender keeps a copy, as a client's own direct message.
    const topics = [userTopic(userKey(to))];
    if (!system && userKey(from) !== userKey(to)) topics.push(userTopic(userKey(from)));
    return await broker.bus.publish(topics, {
      kind: "direct",
      from,
      to,
      ...content,
      // No session sent it: every session of both users gets it.
      senderSession: "",
    });
  }

  /** The name of the user `name` as held; in anonymous mode, only a held name is a user. */
  async function recipient(name: string): Promise<string> {
    const found = await broker.users.lookup(name);
    if (!found && !options.anyRecipient) {
      throw new ApiError("user_not_found", `No user "${name}": nobody holds that name now`);
    }
    if (found?.kind === "B") {
      throw new ApiError(
        "dm_unsupported",
        `User "${found.name}" uses a lobby-only client and cannot receive direct messages`,
      );
    }
    return found?.name ?? name;
  }

  return async (request) => {
    const dedupKey = dedupKeyOf(request);
    // A retry of a stored message gets its id even if the recipient has left since.
    const earlier = dedupKey === undefined ? undefined : await broker.bus.recall(dedupKey);
    if (earlier) return { id: earlier.id, duplicate: true };
    try {
      const { message, duplicate } = await publish(request, dedupKey);
      return duplicate ? { id: message.id, duplicate } : { id: message.id };
    } catch (error) {
      throw refusalOf(error, request);
    }
  };
}

/** Who a request sends as: `system`, a named system sender, or the user `from`. */
function senderOf(request: PublishRequest): { from: string; system: boolean } {
  return {
    from: request.from ?? SYSTEM_SENDER,
    system: request.from === undefined || request.system === true,
  };
}

/**
 * The dedup key of a request with `ref`: the same `ref` for the same
 * message (where, from whom, what) within the window is published once.
 */
function dedupKeyOf(request: PublishRequest): string | undefined {
  if (request.ref === undefined) return undefined;
  const { from, system } = senderOf(request);
  const { channel, user, text, replyTo, data } = request;
  const what = JSON.stringify([channel, user && userKey(user), from, system, text, replyTo, data]);
  return `api:${request.ref}:${fingerprint(what)}`;
}

/** The refusal of a request naming a channel that does not exist. */
export function channelNotFound(channel: string): ApiError {
  return new ApiError("channel_not_found", `No channel "${channel}"`);
}

/** What the caller is told of a publish the broker refused; other errors stay as they are. */
function refusalOf(error: unknown, request: PublishRequest): unknown {
  if (error instanceof MutedError) {
    return new ApiError(
      "muted",
      `User "${request.from}" is muted in channel "${request.channel}" ${until(error.until)}`,
    );
  }
  if (error instanceof ReplyNotFoundError) {
    return new ApiError(
      "reply_not_found",
      `replyTo "${request.replyTo}" is no kept message of this channel or conversation`,
    );
  }
  return error;
}
