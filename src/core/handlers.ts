/**
 * The command handlers: one function per command an open session may send,
 * each answering with an `ack`, an answer frame or a refusal. Publishing
 * goes through the broker, which stamps, stores and delivers; what the
 * broker delivers comes back through `delivery.ts`, never through here.
 * The publishing commands themselves are in `publishing.ts`.
 *
 * @module
 */
import type { Authenticator } from "../auth.ts";
import { type Broker, type ChannelAccess, channelTopic, userTopic } from "../broker/broker.ts";
import type { Config } from "../config.ts";
import type { Command } from "../protocol/commands.ts";
import type { Tracing } from "../tracing.ts";
import { isChannelName, isUsername, userKey } from "../protocol/names.ts";
import { mayJoin } from "./channels.ts";
import type { Memberships } from "./memberships.ts";
import { measureOf, type Moderation } from "./moderation.ts";
import type { PresenceFeed } from "./presence.ts";
import { checkChannelGrant, refresh } from "./grants.ts";
import { createChanges } from "./changes.ts";
import { createPublishing, type Publishing } from "./publishing.ts";
import { createReading } from "./reading.ts";
import { ack, refusal, refuse, send, type Session } from "./session.ts";

/** What the handlers need. */
export interface HandlerOptions extends
  Pick<
    Config,
    "lobbyChannel" | "editWindowSeconds" | "maxReactionsPerMessage" | "readReceiptsMaxMembers"
  > {
  broker: Broker;
  /** Joins and leaves, as the user's: every session of the user follows. */
  memberships: Pick<Memberships, "join" | "joinAndResume" | "leave">;
  /** AUTH_MODE=jwt: verifies refreshed tokens; absent in anonymous mode. */
  authenticator?: Authenticator;
  /** Presence and discovery: their commands. */
  presence: Pick<PresenceFeed, "handle">;
  /** What invitations, roles, kicks, bans, mutes and deletions do, once allowed. */
  moderation: Moderation;
  /** Spans around each publish, when tracing. */
  tracing?: Tracing;
}

/** The handlers of this instance: the publishing commands, and `handle` for all. */
export interface Handlers extends Publishing {
  /** Runs one command of an open session, and answers it. */
  handle(session: Session, command: Command): Promise<void>;
}

/** Creates the command handlers. */
export function createHandlers(options: HandlerOptions): Handlers {
  const { broker, memberships, presence, moderation } = options;
  const publishing = createPublishing(options);
  const changeMessage = createChanges(options);
  const markRead = createReading(options);

  async function handle(session: Session, command: Command): Promise<void> {
    const { ref } = command;
    switch (command.type) {
      case "createChannel":
        await memberships.join(session, command.channel, { private: command.private });
        return ack(session, ref);
      case "invite":
        return await invite(session, command.channel, command.user, ref);
      case "deleteChannel":
        return await deleteChannel(session, command.channel, ref);
      case "setRole":
      case "kick":
      case "ban":
      case "mute":
        return await moderate(session, command);
      case "joinChannel":
        if (command.since === undefined) await memberships.join(session, command.channel);
        else await memberships.joinAndResume(session, command.channel, command.since);
        return ack(session, ref);
      case "history":
        return await sendHistory(session, command);
      case "refresh":
        return await refresh(session, options.authenticator, command.token, ref);
      case "leaveChannel":
        if (!session.channels.has(command.channel)) {
          return refuse(
            session,
            refusal("not_member", `Not a member of channel "${command.channel}"`, ref),
          );
        }
        await memberships.leave(session, command.channel);
        return ack(session, ref);
      case "broadcast":
      case "say":
      case "directMessage":
        return (await publishing.publish(session, command))();
      case "typing":
        return await typing(session, command.to, ref);
      case "editMessage":
      case "deleteMessage":
      case "react":
        return await changeMessage(session, command);
      case "markRead":
        return await markRead(session, command);
      case "ping":
        return send(session, { type: "pong", ref });
      case "members":
      case "channels":
      case "status":
      case "presence":
        return await presence.handle(session, command);
    }
  }

  /** The owner or a moderator lets `user` into the channel, and `user`'s sessions are told. */
  async function invite(
    session: Session,
    channel: string,
    user: string,
    ref: string | undefined,
  ): Promise<void> {
    if (!session.channels.has(channel)) {
      return refuse(session, refusal("not_member", `Not a member of channel "${channel}"`, ref));
    }
    const me = session.user!;
    const access = await broker.channels.access(channel, me.key);
    if (rank(access) < RANKS.moderator) {
      return refuse(
        session,
        refusal(
          "not_permitted",
          `Only the owner or a moderator of channel "${channel}" can invite to it`,
          ref,
        ),
      );
    }
    await moderation.invite(channel, user, me.name);
    ack(session, ref);
  }

  /** A role or measure set by someone whose role is above the target's (the owner, for roles). */
  async function moderate(
    session: Session,
    command: Command & { type: "setRole" | "kick" | "ban" | "mute" },
  ): Promise<void> {
    const { channel, ref } = command;
    if (!session.channels.has(channel)) {
      return refuse(session, refusal("not_member", `Not a member of channel "${channel}"`, ref));
    }
    const me = session.user!;
    const target = userKey(command.user);
    const [mine, theirs] = await Promise.all([
      broker.channels.access(channel, me.key),
      broker.channels.access(channel, target),
    ]);
    const allowed = command.type === "setRole"
      ? rank(mine) === RANKS.owner && target !== me.key
      : rank(mine) > rank(theirs);
    if (!allowed) {
      return refuse(
        session,
        refusal(
          "not_permitted",
          command.type === "setRole"
            ? `Only the owner of channel "${channel}" appoints moderators`
            : `Only the owner or a moderator of channel "${channel}" may ${command.type} ` +
              "someone, and only someone below them",
          ref,
        ),
      );
    }
    switch (command.type) {
      case "setRole":
        await moderation.setRole(channel, command.user, command.role);
        break;
      case "kick":
        await moderation.kick(channel, command.user);
        break;
      case "ban":
      case "mute":
        await moderation[command.type](channel, command.user, measureOf(command.seconds));
        break;
    }
    ack(session, ref);
  }

  /** The owner deletes its channel: every member leaves it (told why), and its name is free. */
  async function deleteChannel(
    session: Session,
    channel: string,
    ref: string | undefined,
  ): Promise<void> {
    if (!session.channels.has(channel)) {
      return refuse(session, refusal("not_member", `Not a member of channel "${channel}"`, ref));
    }
    const me = session.user!;
    if ((await broker.channels.access(channel, me.key))?.owner !== me.key) {
      return refuse(
        session,
        refusal("not_permitted", `Only the owner of channel "${channel}" can delete it`, ref),
      );
    }
    await moderation.deleteChannel(channel);
    ack(session, ref);
  }

  async function typing(session: Session, to: string, ref: string | undefined): Promise<void> {
    const from = session.user!.name;
    if (session.channels.has(to)) {
      await broker.bus.signal(channelTopic(to), { kind: "typing", from, to });
      return ack(session, ref);
    }
    // The frame's schema applied the script rule already.
    const recipient = isUsername(to, "unrestricted") ? await broker.users.lookup(to) : undefined;
    if (recipient?.online) {
      const topic = userTopic(userKey(recipient.name));
      await broker.bus.signal(topic, { kind: "typing", from, to: recipient.name });
      return ack(session, ref);
    }
    const access = isChannelName(to, "unrestricted")
      ? await broker.channels.access(to, session.user!.key)
      : undefined;
    // A private channel the user may not join is answered as if there were none.
    if (access && mayJoin(access, session.user!.key)) {
      return refuse(session, refusal("not_member", `Not a member of channel "${to}"`, ref));
    }
    return refuse(
      session,
      refusal("user_offline", `No joined channel or online user "${to}"`, ref),
    );
  }

  async function sendHistory(
    session: Session,
    command: Command & { type: "history" },
  ): Promise<void> {
    const { before, limit, ref } = command;
    const page = { limit, ...(before === undefined ? {} : { before }) };
    const refPart = ref === undefined ? {} : { ref };
    const me = session.user!.key;
    if (command.channel !== undefined) {
      checkChannelGrant(session, command.channel);
      const access = await broker.channels.access(command.channel, session.user!.key);
      // A private channel the user may not join reads like one that holds nothing.
      const envelopes = access && !mayJoin(access, session.user!.key)
        ? []
        : await broker.history.page(channelTopic(command.channel), { ...page, reader: me });
      const messages = envelopes.map((envelope) => ({
        type: "channelMessage" as const,
        message: envelope.message,
      }));
      return send(session, { type: "history", to: command.channel, messages, ...refPart });
    }
    const other = userKey(command.with!);
    const envelopes = await broker.history.page(userTopic(me), {
      ...page,
      between: [me, other],
      reader: me,
    });
    const messages = envelopes.map((envelope) => ({
      type: "directMessage" as const,
      message: envelope.message,
      copy: userKey(envelope.message.to) !== me,
    }));
    send(session, { type: "history", with: command.with!, messages, ...refPart });
  }

  return { handle, ...publishing };
}

/** Who may moderate whom: a higher rank over a lower one. */
const RANKS = { member: 0, moderator: 1, owner: 2 } as const;

function rank(access: ChannelAccess | undefined): number {
  return RANKS[access?.role ?? "member"];
}
