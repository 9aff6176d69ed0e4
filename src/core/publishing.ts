/**
 * The commands that publish a message (kind A's `broadcast` and
 * `directMessage`, kind B's `say`). They are pipelined (`enqueuePublish`):
 * each says when its broker call is issued (`started`), and returns its
 * answer for the queue to send in frame order, instead of sending it. The
 * broker takes one session's publishes in the order they are issued, so
 * their ids on a topic keep the order of the frames.
 *
 * @module
 */
import type { Authenticator } from "../auth.ts";
import {
  type Broker,
  channelTopic,
  type MessageDraft,
  MutedError,
  type Published,
  ReplyNotFoundError,
  userTopic,
} from "../broker/broker.ts";
import type { Config } from "../config.ts";
import type { Tracing } from "../tracing.ts";
import { fingerprint } from "../ids.ts";
import type { Command, MessageExtras } from "../protocol/commands.ts";
import { mentionedKeys, userKey } from "../protocol/names.ts";
import { until } from "./channels.ts";
import type { Answer } from "./intake.ts";
import type { Memberships } from "./memberships.ts";
import { ack, CommandRefused, refusal, refuse, type Session } from "./session.ts";

/** What publishing needs. */
export interface PublishingOptions extends Pick<Config, "lobbyChannel"> {
  broker: Broker;
  /** A broadcast joins its channel first, as the user's. */
  memberships: Pick<Memberships, "join">;
  /** AUTH_MODE=jwt: any username may get a direct message; absent in anonymous mode. */
  authenticator?: Authenticator;
  /** Spans around each publish (`natter.publish`), when tracing. */
  tracing?: Tracing;
}

/** A command that publishes a message. */
export type PublishCommand = Extract<Command, { type: "broadcast" | "say" | "directMessage" }>;

/** Whether `command` publishes a message. */
export function isPublish(command: Command): command is PublishCommand {
  return command.type === "broadcast" || command.type === "say" || command.type === "directMessage";
}

/** The publishing commands of this instance. */
export interface Publishing {
  /**
   * Runs a publishing command of an open session: calls `started` once its
   * broker call is issued, and returns its answer for the caller to send.
   */
  publish(session: Session, command: PublishCommand, started?: () => void): Promise<Answer>;
  /** Publishes `content` to `channel` from `from`; the answer acks it with the message id. */
  publishToChannel(
    session: Session,
    channel: string,
    from: string,
    content: MessageContent,
    ref: string | undefined,
    started?: () => void,
  ): Promise<Answer>;
}

/** What a caller that need not know when the broker call is issued gets as `started`. */
const UNOBSERVED = () => {};

/** Creates the publishing commands. */
export function createPublishing(options: PublishingOptions): Publishing {
  const { broker, memberships, lobbyChannel, tracing } = options;

  /** A publish, in a span when tracing; the broker call is issued before this returns. */
  function traced(
    kind: "channel" | "direct",
    publish: () => Promise<Published>,
  ): Promise<Published> {
    return tracing ? tracing.traced("natter.publish", { "natter.kind": kind }, publish) : publish();
  }

  async function publish(
    session: Session,
    command: PublishCommand,
    started = UNOBSERVED,
  ): Promise<Answer> {
    const { name } = session.user!;
    const { ref } = command;
    switch (command.type) {
      case "broadcast":
        await memberships.join(session, command.channel);
        return await publishToChannel(
          session,
          command.channel,
          name,
          contentOf(command),
          ref,
          started,
        );
      case "say":
        if (command.text === "") {
          return () =>
            refuse(session, refusal("invalid_frame", "Invalid frame: text must not be empty", ref));
        }
        return await publishToChannel(
          session,
          lobbyChannel,
          name,
          { text: command.text },
          ref,
          started,
        );
      case "directMessage":
        return await directMessage(session, command.to, contentOf(command), ref, started);
    }
  }

  async function publishToChannel(
    session: Session,
    channel: string,
    from: string,
    content: MessageContent,
    ref: string | undefined,
    started = UNOBSERVED,
  ): Promise<Answer> {
    const mentions = mentionedKeys(content.text, content.data);
    const draft: MessageDraft = {
      kind: "channel",
      from,
      to: channel,
      ...content,
      ...(mentions.length === 0 ? {} : { mentions }),
      author: holdingOf(session),
      ...dedup(session, ref, "channel", channel, content),
    };
    const publishing = traced(
      "channel",
      () => broker.bus.publish([channelTopic(channel)], draft),
    );
    started();
    const published = await publishing.catch((error) => {
      throw refusalOf(error, content, channel);
    });
    return () => ack(session, ref, published.message.id, published.duplicate);
  }

  async function directMessage(
    session: Session,
    to: string,
    content: MessageContent,
    ref: string | undefined,
    started: () => void,
  ): Promise<Answer> {
    const sender = session.user!;
    const { dedupKey } = dedup(session, ref, "direct", userKey(to), content);
    // Both reads in one round trip: the lookup is wasted only on a retry.
    const [earlier, found] = await Promise.all([
      dedupKey === undefined ? undefined : broker.bus.recall(dedupKey),
      broker.users.lookup(to),
    ]);
    // A retry of a stored message gets its ack even if the recipient has left since.
    if (earlier) return () => ack(session, ref, earlier.id, true);
    // Stored for later when offline: in JWT mode any username is a user; in anonymous
    // mode only a held name is (live, or within its reconnect grace).
    const recipient = found ??
      (options.authenticator ? { name: to, kind: "A" as const } : undefined);
    if (!recipient) {
      return () =>
        refuse(
          session,
          refusal("user_offline", `No user "${to}": nobody holds that name now`, ref),
        );
    }
    if (recipient.kind === "B") {
      return () =>
        refuse(
          session,
          refusal(
            "dm_unsupported",
            `User "${recipient.name}" uses a lobby-only client and cannot receive direct messages`,
            ref,
          ),
        );
    }
    const topics = [...new Set([userTopic(userKey(recipient.name)), userTopic(sender.key)])];
    const publishing = traced("direct", () =>
      broker.bus.publish(topics, {
        kind: "direct",
        from: sender.name,
        to: recipient.name,
        ...content,
        senderSession: session.id,
        author: holdingOf(session),
        ...(dedupKey === undefined ? {} : { dedupKey }),
      }));
    started();
    const { message, duplicate } = await publishing.catch((error) => {
      throw refusalOf(error, content);
    });
    return () => ack(session, ref, message.id, duplicate);
  }

  return { publish, publishToChannel };
}

/**
 * The same message re-sent with the same `ref` by the same holder of the
 * name is not published again. The key covers the message itself, so a
 * `ref` reused for another message (another tab's counter) publishes it.
 */
function dedup(
  session: Session,
  ref: string | undefined,
  kind: string,
  to: string,
  { text, replyTo = "", data }: MessageContent,
): { dedupKey?: string } {
  // Without extras the fingerprint is as it always was: retries across a rolling upgrade still match.
  const extras = replyTo === "" && data === undefined
    ? ""
    : `\n${replyTo}\n${data === undefined ? "" : JSON.stringify(data)}`;
  return dedupKeyOf(session, ref, `${kind}\n${to}\n${text}${extras}`);
}

/**
 * The holding of the name a session speaks for: its user's key and claim
 * tag, so that a later holder of a freed name is not its author.
 */
export function holdingOf(session: Session): string {
  const user = session.user!;
  return `${user.key} ${user.claimTag}`;
}

/**
 * The dedup key of a frame with `ref` whose effect `what` describes: the
 * same `ref` from the same holder of the name for the same effect is one.
 */
export function dedupKeyOf(
  session: Session,
  ref: string | undefined,
  what: string,
): { dedupKey?: string } {
  const user = session.user;
  if (ref === undefined || !user) return {};
  return { dedupKey: `${user.key}:${user.claimTag}:${ref}:${fingerprint(what)}` };
}

/** A message's text and what it carries besides (see `MessageExtras`). */
export type MessageContent = { text: string } & MessageExtras;

/** The content of a publishing command: its text, and its extras only when it has them. */
function contentOf(command: { text: string } & MessageExtras): MessageContent {
  const { text, replyTo, data } = command;
  return {
    text,
    ...(replyTo === undefined ? {} : { replyTo }),
    ...(data === undefined ? {} : { data }),
  };
}

/**
 * What the client is told of a publish the broker refused: a reply to no
 * kept message, or (in `channel`) a muted author. Any other error stays as it is.
 */
function refusalOf(error: unknown, { replyTo }: MessageContent, channel?: string): unknown {
  if (error instanceof ReplyNotFoundError) {
    return new CommandRefused(
      "reply_not_found",
      `replyTo "${replyTo}" is no kept message of this channel or conversation`,
    );
  }
  if (error instanceof MutedError && channel !== undefined) {
    return new CommandRefused("muted", `Muted in channel "${channel}" ${until(error.until)}`);
  }
  return error;
}
