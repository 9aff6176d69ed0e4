/**
 * The commands that change a kept message: `editMessage`, `deleteMessage`
 * and `react`. Each becomes a change entry the broker checks, stores and
 * delivers in one step (`MessageBus.change`), acknowledged with its id once
 * stored and deduplicated by `ref` like a message. What the core checks
 * first: the session may use the place, the rate (MESSAGE_CHANGES_PER_MINUTE),
 * a mute, and who moderates the channel.
 *
 * @module
 */
import {
  type Broker,
  type ChangeDraft,
  ChangeRefusedError,
  channelTopic,
  userTopic,
} from "../broker/broker.ts";
import type { ChangeRefusal } from "../broker/errors.ts";
import type { Config } from "../config.ts";
import type { Command, Conversation } from "../protocol/commands.ts";
import type { ErrorCode } from "../protocol/codes.ts";
import { userKey } from "../protocol/names.ts";
import { until } from "./channels.ts";
import { checkChannelGrant } from "./grants.ts";
import { dedupKeyOf } from "./publishing.ts";
import { ack, CommandRefused, type Session } from "./session.ts";

/** A command that changes a kept message. */
export type ChangeCommand = Extract<
  Command,
  { type: "editMessage" | "deleteMessage" | "react" }
>;

/** What changing messages needs. */
export interface ChangesOptions
  extends Pick<Config, "editWindowSeconds" | "maxReactionsPerMessage"> {
  broker: Broker;
}

/** How each broker refusal is told to the client. */
const REFUSALS: Record<ChangeRefusal, { code: ErrorCode; message: string }> = {
  not_found: {
    code: "message_not_found",
    message: "is no kept message there: wrong id, deleted, or no longer kept",
  },
  not_permitted: {
    code: "not_permitted",
    message: "is not yours to change: only its author edits it, and deletes it unless you " +
      "own or moderate the channel",
  },
  window_closed: {
    code: "edit_window_closed",
    message: "is older than the edit window (EDIT_WINDOW_SECONDS)",
  },
  too_many_reactions: {
    code: "too_many_reactions",
    message: "already has as many different reactions as a message may have " +
      "(MAX_REACTIONS_PER_MESSAGE): react with one of them",
  },
};

/** Creates the handler of the commands that change kept messages. */
export function createChanges(options: ChangesOptions) {
  const { broker } = options;

  return async function changeMessage(session: Session, command: ChangeCommand): Promise<void> {
    if (!session.limits.changes.take()) {
      throw new CommandRefused(
        "rate_limited",
        "Too many edits, deletes and reactions: over MESSAGE_CHANGES_PER_MINUTE",
      );
    }
    const me = session.user!;
    const where = command.in;
    const moderator = "channel" in where
      ? await mayModerate(session, where.channel, command.type !== "deleteMessage")
      : false;
    const draft: ChangeDraft = {
      kind: "channel" in where ? "channel" : "direct",
      from: me.name,
      to: "channel" in where ? where.channel : where.with,
      target: command.id,
      ...dedupKeyOf(session, command.ref, fingerprintOf(command)),
      ...actionOf(command, moderator),
    };
    const topics = "channel" in where
      ? [channelTopic(where.channel)]
      : [...new Set([userTopic(userKey(where.with)), userTopic(me.key)])];
    try {
      const changed = await broker.bus.change(topics, draft);
      ack(session, command.ref, changed?.message.id, changed?.duplicate);
    } catch (error) {
      if (!(error instanceof ChangeRefusedError)) throw error;
      const { code, message } = REFUSALS[error.reason];
      throw new CommandRefused(code, `Message ${command.id} ${message}`);
    }
  };

  /**
   * Whether the user moderates `channel` (owner or moderator), after checking
   * that the session is in it and, unless it only deletes, is not muted there.
   */
  async function mayModerate(
    session: Session,
    channel: string,
    posts: boolean,
  ): Promise<boolean> {
    checkChannelGrant(session, channel);
    if (!session.channels.has(channel)) {
      throw new CommandRefused("not_member", `Not a member of channel "${channel}"`);
    }
    const access = await broker.channels.access(channel, session.user!.key);
    if (posts && access?.mutedUntil !== undefined) {
      throw new CommandRefused(
        "muted",
        `Muted in channel "${channel}" ${until(access.mutedUntil)}`,
      );
    }
    return access?.role !== undefined;
  }

  /** The action a command asks of the broker, with the limits it is held to. */
  function actionOf(command: ChangeCommand, moderator: boolean) {
    switch (command.type) {
      case "editMessage":
        return {
          action: "edit" as const,
          text: command.text,
          windowMs: options.editWindowSeconds * 1000,
        };
      case "deleteMessage":
        return { action: "delete" as const, moderator };
      case "react":
        return {
          action: "react" as const,
          emoji: command.emoji,
          add: command.remove !== true,
          maxEmoji: options.maxReactionsPerMessage,
        };
    }
  }
}

/** What makes two change commands with one `ref` the same change. */
function fingerprintOf(command: ChangeCommand): string {
  const payload = command.type === "editMessage"
    ? command.text
    : command.type === "react"
    ? `${command.remove ? "-" : "+"}${command.emoji}`
    : "";
  return `${command.type}\n${placeName(command.in)}\n${command.id}\n${payload}`;
}

/** A place as one string: a channel's topic, or the other user's key. */
function placeName(where: Conversation): string {
  return "channel" in where ? channelTopic(where.channel) : userTopic(userKey(where.with));
}
