/**
 * Opening a session. Kind A opens from its handshake: claim, `sessionID`
 * (with the count of direct messages that came while the user was away),
 * the inbox subscription, the current lists, and the replay of its direct
 * messages after `since`, or, for a user coming back without one, of those
 * that came while away. Kind B opens with its first frame: claim the
 * sender's name, join the lobby, announce "NAME has joined the chat" (while
 * the deployment is no bigger than its full lists), and say the frame's
 * text. A user the server API banned is refused (4009) before the claim
 * (`claims.ts`), and again once the session listens to the user's topic,
 * where a disconnect would reach it. A user's
 * first session tells their channels they are online. The lobby's announcements live here too, so that
 * a kind-B leave is announced when its join was.
 *
 * @module
 */
import { type Broker, BrokerUnavailableError, channelTopic, userTopic } from "../broker/broker.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { type Command, isChange } from "../protocol/commands.ts";
import { MESSAGE_ID_PATTERN } from "../protocol/frames.ts";
import type { Handshake } from "../protocol/handshake.ts";
import { SERVER_SENDER, userKey } from "../protocol/names.ts";
import { formatMessageId } from "../ids.ts";
import type { Channels } from "./channels.ts";
import type { Claims } from "./claims.ts";
import type { Handlers } from "./handlers.ts";
import type { ListFeed } from "./lists.ts";
import type { Memberships } from "./memberships.ts";
import type { PresenceFeed } from "./presence.ts";
import { holdLive, resume } from "./replay.ts";
import { ack, refuseAndClose, send, type Session } from "./session.ts";

/** What opening sessions needs. */
export interface OpeningOptions
  extends Pick<Config, "lobbyChannel" | "allowAnonymousLobby" | "listMaxNames"> {
  broker: Broker;
  log: Logger;
  claims: Claims;
  channels: Channels;
  memberships: Pick<Memberships, "restore">;
  lists: ListFeed;
  handlers: Handlers;
  presence: Pick<PresenceFeed, "statusChanged">;
  /** AUTH_MODE=jwt: lobby clients need a token unless `allowAnonymousLobby`. */
  requireTokens: boolean;
}

/** How this instance opens sessions. */
export interface Opening {
  /** Opens a kind-A session from its handshake. */
  openKindA(session: Session, handshake: Handshake & { kind: "A" }): Promise<void>;
  /** Opens a kind-B session with its first frame. */
  openKindB(session: Session, command: Command & { type: "say" }): Promise<void>;
  /** Announces a kind-B session's leave, if its join was announced. */
  farewell(session: Session): Promise<void> | undefined;
}

/** Creates the opening of sessions. */
export function createOpening(options: OpeningOptions): Opening {
  const { broker, log, claims, channels, lists, lobbyChannel } = options;

  async function openKindA(session: Session, handshake: Handshake & { kind: "A" }) {
    const claimed = await claims.forKindA(session, handshake);
    if (!claimed || !(await claims.adopt(session, claimed))) return;
    const inbox = userTopic(session.user!.key);
    const awaySince = claimed.returning && (claimed.returning.seen ?? formatMessageId(0, 0));
    const unread = awaySince === undefined ? 0 : await unreadSince(session, inbox, awaySince);
    // sessionID goes first: only then may deliveries and list updates reach the session.
    send(session, {
      type: "welcome",
      sessionId: session.id,
      username: claimed.name,
      token: claimed.token,
      unread,
    });
    // A client that reads nothing may be dropped by that very frame; a closed session stays closed.
    if (isClosed(session)) return;
    opened(session);
    session.changesOnly = handshake.changesOnly === true;
    if (claimed.fresh && handshake.token !== undefined) staleToken(session);
    // A client that resumes (`since`) rejoins its channels itself; others start in them live.
    const resuming = resumePoint(session, handshake.since);
    const since = resuming ?? (unread > 0 ? awaySince : undefined);
    if (since !== undefined) holdLive(session, inbox);
    await channels.listenToInbox(session);
    if (await barred(session)) return;
    await lists.sendCurrent(session);
    await options.memberships.restore(session, resuming === undefined);
    if (since !== undefined) {
      await resume(session, broker.history, inbox, since, "your direct messages");
    }
    if (claimed.firstSession) cameOnline(claimed.name);
  }

  /** Tells the user's channels they are online; a failure costs the session nothing. */
  function cameOnline(name: string): void {
    options.presence.statusChanged(name).catch((error) =>
      log.warn("presence.announce_failed", { user: name, error })
    );
  }

  async function openKindB(session: Session, command: Command & { type: "say" }) {
    const { text, ref } = command;
    if (options.requireTokens && !options.allowAnonymousLobby) {
      return refuseAndClose(
        session,
        "auth_required",
        "This server requires a token: lobby clients without one are not allowed",
        ref,
      );
    }
    // With JWT, anonymous lobby clients are guests, so they can never take a user's name.
    const sender = options.requireTokens ? `guest-${command.sender}` : command.sender;
    const claimed = await claims.forKindB(session, sender, ref);
    if (!claimed || !(await claims.adopt(session, claimed))) return;
    opened(session);
    // Only to hear a disconnect: a lobby client gets no direct messages.
    await channels.listenToInbox(session);
    if (await barred(session)) return;
    await channels.join(session, lobbyChannel);
    if (isClosed(session)) return;
    // Beyond the size of full lists, arrivals are not announced: each would go to everyone.
    if (await broker.users.onlineCount() <= options.listMaxNames) {
      // Set before publishing, so that a close from now on announces the leave after the join.
      session.joinAnnounced = true;
      await announce(`${claimed.name} has joined the chat`);
    }
    if (text === "") return ack(session, ref);
    const answer = await options.handlers.publishToChannel(
      session,
      lobbyChannel,
      claimed.name,
      { text },
      ref,
    );
    answer();
  }

  /**
   * Refuses (4009) a user the server API banned since its claim. Checked
   * once the session listens to its user's topic: a ban set after this
   * check is followed by its disconnect signal, which then reaches the session.
   */
  function barred(session: Session): Promise<boolean> {
    return claims.refuseIfBarred(session, session.user!.name);
  }

  /** Direct messages to the session's user in `inbox` after `after`. */
  async function unreadSince(session: Session, inbox: string, after: string): Promise<number> {
    const { envelopes } = await broker.history.since(inbox, after);
    const me = session.user!.key;
    return envelopes.filter(({ message }) => !isChange(message) && userKey(message.to) === me)
      .length;
  }

  /** Says `text` in the lobby as `Server`: how kind-B clients learn who comes and goes. */
  async function announce(text: string): Promise<void> {
    await broker.bus.publish([channelTopic(lobbyChannel)], {
      kind: "channel",
      from: SERVER_SENDER,
      to: lobbyChannel,
      text,
    });
  }

  /** A session that could not be opened is of no use: report why and close it. */
  function failOpening(session: Session, error: unknown): Promise<void> {
    if (error instanceof BrokerUnavailableError) {
      return refuseAndClose(
        session,
        "unavailable",
        `Cannot open the session now, the broker is unreachable: ${error.message}`,
      );
    }
    log.error("session.open_failed", { session: session.id, error });
    return refuseAndClose(session, "internal_error", "Internal error while opening the session");
  }

  return {
    openKindA: (session, handshake) =>
      openKindA(session, handshake).catch((error) => failOpening(session, error)),
    openKindB: (session, command) =>
      openKindB(session, command).catch((error) => failOpening(session, error)),
    farewell(session) {
      if (!session.joinAnnounced || !session.user) return undefined;
      return announce(`${session.user.name} has left the chat`);
    },
  };
}

/** The `since` of a handshake, if it is a message id; a malformed one is reported and ignored. */
function resumePoint(session: Session, since: string | undefined): string | undefined {
  if (since === undefined || MESSAGE_ID_PATTERN.test(since)) return since;
  send(session, {
    type: "error",
    code: "invalid_frame",
    message: `Invalid since "${
      since.slice(0, 40)
    }": it must be a message id such as 1795271816712-000003; nothing was replayed`,
  });
  return undefined;
}

/**
 * A client came back with a token that no longer holds its name (away longer
 * than the grace): it has the name anew, but not what the old holding had.
 */
function staleToken(session: Session): void {
  send(session, {
    type: "error",
    code: "history_truncated",
    message: "The token you presented does not hold this name (its user may have been away " +
      "longer than RECONNECT_GRACE_MS): you hold the name anew, with the new token above, and " +
      "no earlier holding's direct messages come with it",
  });
}

/** The session is open: logged once, with who holds it. */
function opened(session: Session): void {
  session.state = "open";
  session.settings.log.info("session.opened", {
    session: session.id,
    user: session.user?.name,
    kind: session.codec.kind,
  });
}

/** Whether the session closed, read afresh after an await. */
function isClosed(session: Session): boolean {
  return session.state === "closed";
}
