/**
 * The heart of Natter: it accepts sessions from a runtime edge, runs each
 * session's commands in order (identity, channel membership, publishing
 * through the broker) and fans out what the broker delivers to the local
 * members of each topic. Everything here is runtime-agnostic; both client
 * kinds reach it through their codecs.
 *
 * @module
 */
import {
  type Broker,
  BrokerUnavailableError,
  channelTopic,
  type Envelope,
  type MessageDraft,
  type Topic,
  userTopic,
} from "../broker/broker.ts";
import { fingerprint, guestName, hashToken, newSessionId, newToken } from "../ids.ts";
import type { Logger } from "../log.ts";
import { createCodecA } from "../protocol/codec_a.ts";
import { createCodecB } from "../protocol/codec_b.ts";
import type { Command, Outbound, Refusal } from "../protocol/commands.ts";
import { readFrameObject } from "../protocol/decode.ts";
import { CLOSE_CODES, type ErrorCode } from "../protocol/codes.ts";
import { MESSAGE_ID_PATTERN } from "../protocol/frames.ts";
import type { Handshake } from "../protocol/handshake.ts";
import {
  isChannelName,
  isUsername,
  SERVER_SENDER,
  userKey,
  utf8Length,
} from "../protocol/names.ts";
import type { Connection, ConnectionEvents } from "./connection.ts";
import { createListFeed } from "./lists.ts";
import { createRoster } from "./roster.ts";
import { type Authenticator, type Identity, InvalidTokenError, mayUseChannel } from "../auth.ts";
import {
  createStrikeCounter,
  createTokenBucket,
  type StrikeCounter,
  type TokenBucket,
} from "./limits.ts";
import { createSession, fanOut, send, type Session } from "./session.ts";

/** What the core needs to run. */
export interface ChatOptions {
  broker: Broker;
  log: Logger;
  lobbyChannel: string;
  listUpdateIntervalMs: number;
  maxMessageChars: number;
  maxFrameBytes: number;
  /** Bytes queued to one client beyond which it is disconnected as a slow consumer. */
  slowConsumerBytes: number;
  /** Frames per second a session may send on average, and at once. */
  rateMessagesPerSecond: number;
  rateBurst: number;
  maxChannelsPerSession: number;
  maxSessionsPerUser: number;
  channelCreationsPerMinute: number;
  /** AUTH_MODE=jwt: verifies tokens; absent in anonymous mode. */
  authenticator?: Authenticator;
  /** AUTH_MODE=jwt: let kind-B clients into the lobby without a token (as guest-NAME). */
  allowAnonymousLobby: boolean;
}

/** What a verified JWT grants a session, and the timer that ends it at expiry. */
interface Grant {
  channels?: string[];
  expiry: ReturnType<typeof setTimeout>;
}

/** Refusals of frames far over the rate, within 10 s, that close the session (1008). */
export const RATE_ABUSE_STRIKES = 100;

/** A command refused from deep inside its handling; the frame gets this error. */
class CommandRefused extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
  }
}

/** What one session may still do. */
interface SessionLimits {
  frames: TokenBucket;
  creations: TokenBucket;
  strikes: StrikeCounter;
}

/** The chat service of one instance. */
export interface Chat {
  /** Registers the lobby and starts list updates; call once before accepting. */
  start(): Promise<void>;
  /** Takes over a freshly opened connection; the edge reports its events to the result. */
  accept(connection: Connection, handshake: Handshake): ConnectionEvents;
  /** Closes every session with 1001 and waits until their state is released. */
  shutdown(): Promise<void>;
  /** Sessions currently connected to this instance. */
  sessionCount(): number;
}

/** Commands a session may have queued before further frames are refused with `rate_limited`. */
export const MAX_PENDING_COMMANDS = 64;

/** Tries at a free generated guest name before giving up. */
const GUEST_NAME_TRIES = 5;

/** Creates the chat service on `options.broker`. */
export function createChat(options: ChatOptions): Chat {
  const { broker, log, lobbyChannel } = options;
  const codecs = { A: createCodecA(options), B: createCodecB(options) };
  const sessions = new Map<string, Session>();
  const limits = new WeakMap<Session, SessionLimits>();
  const grants = new Map<Session, Grant>();
  const { authenticator } = options;
  const endings = new Set<Promise<void>>();
  const roster = createRoster<Session>(broker.bus);
  const lists = createListFeed({
    broker,
    intervalMs: options.listUpdateIntervalMs,
    sessions: () => sessions.values(),
    onFailure,
    log,
  });

  broker.onEvents({
    deliver,
    revoked(sessionId) {
      const session = sessions.get(sessionId);
      if (!session) return;
      guard(session, () => {
        refuseAndClose(
          session,
          "username_taken",
          "Username taken by someone else while the broker was unreachable: reconnect with another name",
        );
      });
    },
  });

  // ---- Delivery: from the broker to local sessions. ---------------------

  function deliver(topic: Topic, envelope: Envelope): void {
    guard(undefined, () => fanOutEnvelope(topic, envelope));
  }

  function fanOutEnvelope(topic: Topic, envelope: Envelope): void {
    const members = roster.members(topic);
    if (!members) return;
    const { event, skip } = eventOf(topic, envelope);
    fanOut(members, event, {
      skip: (session) =>
        holdForReplay(session, topic, envelope) || alreadySent(session, topic, envelope) ||
        (skip?.(session) ?? false),
      onFailure,
    });
  }

  /** What an envelope on `topic` tells its receivers, and which of them it is not for. */
  function eventOf(
    topic: Topic,
    envelope: Envelope,
  ): { event: Outbound; skip?: (session: Session) => boolean } {
    switch (envelope.kind) {
      case "channel":
        return { event: { type: "channelMessage", message: envelope.message } };
      case "direct":
        return {
          // On the recipient's topic the sessions get the message; on the sender's, a copy.
          event: {
            type: "directMessage",
            message: envelope.message,
            copy: topic !== userTopic(userKey(envelope.message.to)),
          },
          skip: (session) => session.id === envelope.senderSession,
        };
      case "typing": {
        const typist = userKey(envelope.from);
        return {
          event: { type: "typing", from: envelope.from, to: envelope.to },
          skip: (session) => session.user?.key === typist,
        };
      }
    }
  }

  /** Keeps a stored message for a session still replaying `topic`; true when kept. */
  function holdForReplay(session: Session, topic: Topic, envelope: Envelope): boolean {
    if (session.replaying.size === 0 || envelope.kind === "typing") return false;
    const held = session.replaying.get(topic);
    held?.push(envelope);
    return held !== undefined;
  }

  /**
   * Sends `session` every retained message of `topic` after `since`, marked
   * as replay, then the live ones held back meanwhile, skipping those the
   * replay had: no gap, no repeat. The caller starts holding `topic` back
   * before subscribing to it.
   */
  async function resume(session: Session, topic: Topic, since: string, what: string) {
    let last = since;
    let read;
    try {
      read = await broker.history.since(topic, since);
    } catch (error) {
      // Nothing was replayed: drop what was held, so that a retry starts clean.
      session.replaying.delete(topic);
      throw error;
    }
    try {
      const { envelopes, truncated } = read;
      if (truncated) {
        send(session, {
          type: "error",
          code: "history_truncated",
          message: `Some messages of ${what} after ${since} are no longer kept: replaying the rest`,
        });
      }
      for (const envelope of envelopes) {
        const { event, skip } = eventOf(topic, envelope);
        if (skip?.(session)) continue;
        send(session, { ...event, replay: true } as Outbound);
        last = envelope.message.id;
      }
    } finally {
      const held = session.replaying.get(topic) ?? [];
      session.replaying.delete(topic);
      for (const envelope of held) {
        if (envelope.kind === "typing" || envelope.message.id <= last) continue;
        const { event, skip } = eventOf(topic, envelope);
        if (!skip?.(session)) send(session, event);
        last = envelope.message.id;
      }
      // The live copy of a replayed message may still be on its way (another connection).
      session.sentUpTo.set(topic, last);
    }
  }

  /** True for a message this session already got by replay; the first newer one ends the check. */
  function alreadySent(session: Session, topic: Topic, envelope: Envelope): boolean {
    if (envelope.kind === "typing" || session.sentUpTo.size === 0) return false;
    const upTo = session.sentUpTo.get(topic);
    if (upTo === undefined) return false;
    if (envelope.message.id <= upTo) return true;
    session.sentUpTo.delete(topic);
    return false;
  }

  // ---- Receiving frames. --------------------------------------------------

  function receiveText(session: Session, data: string): void {
    if (session.state === "closed") return;
    if (isOversize(data)) {
      closeWith(session, CLOSE_CODES.frame_too_large, "frame too large");
      return;
    }
    if (!withinRate(session, data)) return;
    const decoded = session.codec.decode(data);
    if (decoded.ok) {
      enqueue(session, () => handle(session, decoded.command), decoded.command.ref);
    } else {
      enqueue(session, () => refuse(session, decoded.refusal), decoded.refusal.ref);
    }
  }

  function receiveBinary(session: Session, byteLength: number): void {
    if (session.state === "closed") return;
    if (byteLength > options.maxFrameBytes) {
      closeWith(session, CLOSE_CODES.frame_too_large, "frame too large");
      return;
    }
    if (!withinRate(session)) return;
    enqueue(session, () =>
      refuse(session, {
        code: "binary_unsupported",
        message: "Binary frames are not supported: send JSON text frames",
      }));
  }

  /** Takes a token for one frame; over the rate the frame is refused, and a flood closes the session. */
  function withinRate(session: Session, data?: string): boolean {
    const own = limits.get(session);
    if (!own || own.frames.take()) return true;
    if (own.strikes.strike()) {
      closeWith(session, CLOSE_CODES.rate_abuse, "rate limit abuse");
      return false;
    }
    // The ref, if the frame has one, tells the client which frame to send again later.
    const frame = data === undefined ? undefined : readFrameObject(data);
    const ref = frame?.ok ? frame.ref : undefined;
    refuse(
      session,
      refusal(
        "rate_limited",
        `Too many frames: at most ${options.rateMessagesPerSecond} a second (${options.rateBurst} at once)`,
        ref,
      ),
    );
    return false;
  }

  function isOversize(data: string): boolean {
    const limit = options.maxFrameBytes;
    if (data.length * 3 <= limit) return false;
    return data.length > limit || utf8Length(data) > limit;
  }

  /** Runs `task` after the session's earlier commands; a full queue refuses at once. */
  function enqueue(session: Session, task: () => Promise<void>, ref?: string): void {
    if (session.pending >= MAX_PENDING_COMMANDS) {
      refuse(
        session,
        refusal(
          "rate_limited",
          `Too many frames in flight: at most ${MAX_PENDING_COMMANDS} are queued per session`,
          ref,
        ),
      );
      return;
    }
    session.pending++;
    session.queue = session.queue.then(async () => {
      try {
        await task();
      } catch (error) {
        guard(session, () => reportFault(session, error, ref));
      } finally {
        session.pending--;
      }
    });
  }

  /** A receiver whose connection threw is closed; the others still get their frame. */
  function onFailure(session: Session, error: unknown): void {
    guard(session, () => {
      throw error;
    });
  }

  /**
   * Runs `work` for `session`; if it throws, the fault is logged and that one
   * session closed with 1011. Every entry from the edge or the broker goes
   * through here, so no fault can reach the runtime and stop the process.
   */
  function guard(session: Session | undefined, work: () => void): void {
    try {
      work();
    } catch (error) {
      log.error("internal fault", { session: session?.id, error });
      if (!session) return;
      try {
        session.connection.close(CLOSE_CODES.internal_error, "internal error");
      } finally {
        end(session);
      }
    }
  }

  function reportFault(session: Session, error: unknown, ref: string | undefined): void {
    if (error instanceof CommandRefused) {
      refuse(session, refusal(error.code, error.message, ref));
      return;
    }
    if (error instanceof BrokerUnavailableError) {
      refuse(session, refusal("unavailable", `Broker unavailable: ${error.message}`, ref));
      return;
    }
    log.error("command failed", { session: session.id, error });
    refuse(session, refusal("internal_error", "Internal error: the frame had no effect", ref));
  }

  function refuse(session: Session, refusal: Refusal): Promise<void> {
    send(session, { type: "error", ...refusal });
    return Promise.resolve();
  }

  function refusal(code: ErrorCode, message: string, ref: string | undefined): Refusal {
    return { code, message, ...(ref === undefined ? {} : { ref }) };
  }

  function ack(session: Session, ref: string | undefined, id?: string, duplicate = false): void {
    if (ref === undefined) return;
    send(session, {
      type: "ack",
      ref,
      ...(id === undefined ? {} : { id }),
      ...(duplicate ? { duplicate } : {}),
    });
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
    text: string,
  ): { dedupKey?: string } {
    const user = session.user;
    if (ref === undefined || !user) return {};
    return {
      dedupKey: `${user.key}:${user.claimTag}:${ref}:${fingerprint(`${kind}\n${to}\n${text}`)}`,
    };
  }

  async function joinAndResume(session: Session, channel: string, since: string): Promise<void> {
    const topic = channelTopic(channel);
    const wasMember = session.channels.has(channel);
    session.replaying.set(topic, []);
    try {
      await join(session, channel);
      await resume(session, topic, since, `channel "${channel}"`);
    } catch (error) {
      session.replaying.delete(topic);
      // A resume that failed leaves no half-joined channel: the client retries it whole.
      if (!wasMember && session.channels.has(channel)) await leave(session, channel);
      throw error;
    }
  }

  async function sendHistory(
    session: Session,
    command: Command & { type: "history" },
  ): Promise<void> {
    const { before, limit, ref } = command;
    const page = { limit, ...(before === undefined ? {} : { before }) };
    const refPart = ref === undefined ? {} : { ref };
    if (command.channel !== undefined) {
      checkChannelGrant(session, command.channel);
      const envelopes = await broker.history.page(channelTopic(command.channel), page);
      const messages = envelopes.map((envelope) => ({
        type: "channelMessage" as const,
        message: envelope.message,
      }));
      return send(session, { type: "history", to: command.channel, messages, ...refPart });
    }
    const me = session.user!.key;
    const other = userKey(command.with!);
    const envelopes = await broker.history.page(userTopic(me), { ...page, between: [me, other] });
    const messages = envelopes.map((envelope) => ({
      type: "directMessage" as const,
      message: envelope.message,
      copy: userKey(envelope.message.to) !== me,
    }));
    send(session, { type: "history", with: command.with!, messages, ...refPart });
  }

  // ---- Commands. ----------------------------------------------------------

  async function handle(session: Session, command: Command): Promise<void> {
    if (session.state === "closed") return;
    const user = session.user;
    if (session.state === "registering" || !user) {
      if (command.type === "say") {
        await registerKindB(session, command).catch((error) => failOpening(session, error));
      }
      return;
    }
    const { ref } = command;
    switch (command.type) {
      case "createChannel":
        await join(session, command.channel);
        return ack(session, ref);
      case "joinChannel":
        if (command.since === undefined) await join(session, command.channel);
        else await joinAndResume(session, command.channel, command.since);
        return ack(session, ref);
      case "history":
        return await sendHistory(session, command);
      case "refresh":
        return await refresh(session, command.token, ref);
      case "leaveChannel":
        if (!session.channels.has(command.channel)) {
          return refuse(
            session,
            refusal("not_member", `Not a member of channel "${command.channel}"`, ref),
          );
        }
        await leave(session, command.channel);
        return ack(session, ref);
      case "broadcast":
        await join(session, command.channel);
        return await publishToChannel(session, command.channel, user.name, command.text, ref);
      case "say":
        if (command.text === "") {
          return refuse(
            session,
            refusal("invalid_frame", "Invalid frame: text must not be empty", ref),
          );
        }
        return await publishToChannel(session, lobbyChannel, user.name, command.text, ref);
      case "directMessage":
        return await directMessage(session, command.to, command.text, ref);
      case "typing":
        return await typing(session, command.to, ref);
    }
  }

  async function publishToChannel(
    session: Session,
    channel: string,
    from: string,
    text: string,
    ref: string | undefined,
  ): Promise<void> {
    const draft: MessageDraft = {
      kind: "channel",
      from,
      to: channel,
      text,
      ...dedup(session, ref, "channel", channel, text),
    };
    const { message, duplicate } = await broker.bus.publish([channelTopic(channel)], draft);
    ack(session, ref, message.id, duplicate);
  }

  async function directMessage(
    session: Session,
    to: string,
    text: string,
    ref: string | undefined,
  ): Promise<void> {
    const sender = session.user!;
    const { dedupKey } = dedup(session, ref, "direct", userKey(to), text);
    // A retry of a stored message gets its ack even if the recipient has left since.
    const earlier = dedupKey === undefined ? undefined : await broker.bus.recall(dedupKey);
    if (earlier) return ack(session, ref, earlier.id, true);
    const recipient = await broker.users.lookup(to);
    if (!recipient) {
      return refuse(session, refusal("user_offline", `User "${to}" is not online`, ref));
    }
    if (recipient.kind === "B") {
      return refuse(
        session,
        refusal(
          "dm_unsupported",
          `User "${recipient.name}" uses a lobby-only client and cannot receive direct messages`,
          ref,
        ),
      );
    }
    const topics = [...new Set([userTopic(userKey(recipient.name)), userTopic(sender.key)])];
    const { message, duplicate } = await broker.bus.publish(topics, {
      kind: "direct",
      from: sender.name,
      to: recipient.name,
      text,
      senderSession: session.id,
      ...(dedupKey === undefined ? {} : { dedupKey }),
    });
    ack(session, ref, message.id, duplicate);
  }

  async function typing(session: Session, to: string, ref: string | undefined): Promise<void> {
    const from = session.user!.name;
    if (session.channels.has(to)) {
      await broker.bus.signal(channelTopic(to), { kind: "typing", from, to });
      return ack(session, ref);
    }
    const recipient = isUsername(to) ? await broker.users.lookup(to) : undefined;
    if (recipient) {
      const topic = userTopic(userKey(recipient.name));
      await broker.bus.signal(topic, { kind: "typing", from, to: recipient.name });
      return ack(session, ref);
    }
    if (isChannelName(to) && await broker.channels.exists(to)) {
      return refuse(session, refusal("not_member", `Not a member of channel "${to}"`, ref));
    }
    return refuse(
      session,
      refusal("user_offline", `No joined channel or online user "${to}"`, ref),
    );
  }

  /** Creates `channel` if missing and makes the session a member, subscribed before it resolves. */
  async function join(session: Session, channel: string): Promise<void> {
    if (session.channels.has(channel)) return;
    checkChannelGrant(session, channel);
    if (session.channels.size >= options.maxChannelsPerSession) {
      throw new CommandRefused(
        "too_many_channels",
        `Already in ${options.maxChannelsPerSession} channels: leave one first`,
      );
    }
    const own = limits.get(session);
    if (own && !(await broker.channels.exists(channel)) && !own.creations.take()) {
      throw new CommandRefused(
        "rate_limited",
        `Too many new channels: at most ${options.channelCreationsPerMinute} a minute`,
      );
    }
    await broker.channels.create(channel);
    if (session.state === "closed" || session.channels.has(channel)) return;
    session.channels.add(channel);
    try {
      await roster.add(channelTopic(channel), session);
    } catch (error) {
      session.channels.delete(channel);
      await roster.remove(channelTopic(channel), session);
      throw error;
    }
  }

  function leave(session: Session, channel: string): Promise<void> {
    session.channels.delete(channel);
    return roster.remove(channelTopic(channel), session);
  }

  // ---- Identity. ----------------------------------------------------------

  type Claim =
    | { ok: true; name: string; token: string; claimTag: string }
    | { ok: false; code: "username_taken" | "invalid_token" | "too_many_sessions" };

  /** Claims `name` (or joins the user holding `token`) for the session. */
  async function claim(
    session: Session,
    name: string | undefined,
    token: string | undefined,
  ): Promise<Claim> {
    const fresh = newToken();
    const [freshTokenHash, presentedTokenHash] = await Promise.all([
      hashToken(fresh),
      token === undefined ? undefined : hashToken(token),
    ]);
    const result = await broker.users.open({
      ...(name === undefined ? {} : { name }),
      ...(presentedTokenHash === undefined ? {} : { presentedTokenHash }),
      freshTokenHash,
      sessionId: session.id,
      kind: session.codec.kind,
      maxSessions: options.maxSessionsPerUser,
    });
    switch (result.status) {
      case "claimed":
        return { ok: true, name: result.user.name, token: fresh, claimTag: tag(freshTokenHash) };
      case "joined":
        return {
          ok: true,
          name: result.user.name,
          token: token!,
          claimTag: tag(presentedTokenHash!),
        };
      case "taken":
        return { ok: false, code: "username_taken" };
      case "unknown_token":
        return { ok: false, code: "invalid_token" };
      case "too_many_sessions":
        return { ok: false, code: "too_many_sessions" };
    }
  }

  async function claimGuest(session: Session): Promise<Claim> {
    for (let attempt = 1;; attempt++) {
      const outcome = await claim(session, guestName(), undefined);
      if (outcome.ok || attempt === GUEST_NAME_TRIES) return outcome;
    }
  }

  /** Gives a claimed session its user; false (and the claim released) if it closed meanwhile. */
  async function adopt(session: Session, claimed: Claim & { ok: true }): Promise<boolean> {
    const { name, token, claimTag } = claimed;
    if (session.state === "closed") {
      await broker.users.close(name, session.id).catch((error) =>
        log.warn("could not release claim", { user: name, error })
      );
      return false;
    }
    session.user = { name, key: userKey(name), token, claimTag };
    return true;
  }

  /** A short, non-secret tag of one holding of a name: part of its token's hash. */
  function tag(tokenHash: string): string {
    return tokenHash.slice(0, 16);
  }

  async function openKindA(session: Session, handshake: Handshake & { kind: "A" }): Promise<void> {
    const outcome = authenticator
      ? await claimWithJwt(session, authenticator, handshake.token)
      : await claimAnonymously(session, handshake);
    if (!outcome || !(await adopt(session, outcome))) return;
    // sessionID goes first: only then may deliveries and list updates reach the session.
    send(session, {
      type: "welcome",
      sessionId: session.id,
      username: outcome.name,
      token: outcome.token,
    });
    session.state = "open";
    const inbox = userTopic(userKey(outcome.name));
    const since = resumePoint(session, handshake.since);
    if (since !== undefined) session.replaying.set(inbox, []);
    await roster.add(inbox, session);
    const frames = await lists.current(session.codec);
    for (const kind of ["userList", "channelList"] as const) {
      const frame = frames[kind];
      if (frame === undefined || session.state !== "open" || session.sentLists[kind] === frame) {
        continue;
      }
      session.sentLists[kind] = frame;
      session.connection.send(frame);
    }
    if (since !== undefined) await resume(session, inbox, since, "your direct messages");
  }

  /**
   * AUTH_MODE=jwt: the user is the verified token's `sub`; every session of
   * a subject joins one claim (keyed by a hash of the subject, so it works on
   * any instance), and the session ends when the token expires.
   */
  async function claimWithJwt(
    session: Session,
    authenticator: Authenticator,
    token: string | undefined,
  ): Promise<(Claim & { ok: true }) | undefined> {
    if (token === undefined) {
      await refuseAndClose(
        session,
        "auth_required",
        "Connect with a token: ?token=JWT or Authorization: Bearer JWT",
      );
      return undefined;
    }
    let identity: Identity;
    try {
      identity = await authenticator.verify(token);
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      await refuseAndClose(session, "invalid_token", `Invalid token: ${error.message}`);
      return undefined;
    }
    const subjectHash = await hashToken(`jwt:${userKey(identity.user)}`);
    const result = await broker.users.open({
      name: identity.user,
      presentedTokenHash: subjectHash,
      freshTokenHash: subjectHash,
      sessionId: session.id,
      kind: "A",
      maxSessions: options.maxSessionsPerUser,
    });
    if (result.status === "too_many_sessions") {
      await refuseAndClose(
        session,
        "too_many_sessions",
        tooManySessions(),
      );
      return undefined;
    }
    if (result.status !== "claimed" && result.status !== "joined") {
      await refuseAndClose(
        session,
        "username_taken",
        `Username "${identity.user}" is held by an anonymous lobby client`,
      );
      return undefined;
    }
    grant(session, identity);
    return { ok: true, name: result.user.name, token: "", claimTag: tag(subjectHash) };
  }

  /** Records what the token allows and schedules the close at its expiry. */
  function grant(session: Session, identity: Identity): void {
    const previous = grants.get(session);
    if (previous) clearTimeout(previous.expiry);
    const expiry = setTimeout(() =>
      guard(session, () => {
        refuseAndClose(session, "token_expired", "The token expired: reconnect with a new one");
      }), Math.max(0, identity.expiresAt * 1000 - Date.now()));
    grants.set(session, { ...(identity.channels ? { channels: identity.channels } : {}), expiry });
  }

  async function refresh(session: Session, token: string, ref: string | undefined): Promise<void> {
    if (!authenticator) {
      return refuse(session, refusal("invalid_frame", "refresh is for AUTH_MODE=jwt only", ref));
    }
    let identity: Identity;
    try {
      identity = await authenticator.verify(token);
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      return refuse(session, refusal("invalid_token", `Invalid token: ${error.message}`, ref));
    }
    if (userKey(identity.user) !== session.user?.key || session.state === "closed") {
      return refuse(session, refusal("invalid_token", "The token is for another user", ref));
    }
    grant(session, identity);
    ack(session, ref);
  }

  /** Throws unless the session's token allows `channel` (anonymous sessions may use any). */
  function checkChannelGrant(session: Session, channel: string): void {
    if (mayUseChannel(grants.get(session)?.channels, channel)) return;
    throw new CommandRefused("forbidden", `Your token does not allow channel "${channel}"`);
  }

  async function claimAnonymously(
    session: Session,
    handshake: Handshake & { kind: "A" },
  ): Promise<(Claim & { ok: true }) | undefined> {
    const { username, token } = handshake;
    if (username !== undefined && !isUsername(username)) {
      await refuseAndClose(
        session,
        "invalid_username",
        invalidUsername(username),
      );
      return undefined;
    }
    const outcome = username === undefined && token === undefined
      ? await claimGuest(session)
      : await claim(session, username, token);
    if (outcome.ok) return outcome;
    switch (outcome.code) {
      case "username_taken":
        await refuseAndClose(
          session,
          "username_taken",
          `Username "${username}" is taken: connect with the token from its first session, or choose another name`,
        );
        break;
      case "invalid_token":
        await refuseAndClose(
          session,
          "invalid_token",
          "The token matches no online user: connect with a username instead",
        );
        break;
      case "too_many_sessions":
        await refuseAndClose(
          session,
          "too_many_sessions",
          tooManySessions(),
        );
        break;
    }
    return undefined;
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

  async function registerKindB(
    session: Session,
    command: Command & { type: "say" },
  ): Promise<void> {
    const { text, ref } = command;
    if (authenticator && !options.allowAnonymousLobby) {
      return refuseAndClose(
        session,
        "auth_required",
        "This server requires a token: lobby clients without one are not allowed",
        ref,
      );
    }
    // With JWT, anonymous lobby clients are guests, so they can never take a user's name.
    const sender = authenticator ? `guest-${command.sender}` : command.sender;
    if (!isUsername(sender)) {
      return refuseAndClose(
        session,
        "invalid_username",
        invalidUsername(sender),
        ref,
      );
    }
    const outcome = await claim(session, sender, undefined);
    if (!outcome.ok) {
      return refuseAndClose(session, "username_taken", "Username already taken", ref);
    }
    if (!(await adopt(session, outcome))) return;
    session.state = "open";
    await join(session, lobbyChannel);
    if (isClosed(session)) return;
    // Set before publishing, so that a close from now on announces the leave after the join.
    session.joinAnnounced = true;
    await announce(`${outcome.name} has joined the chat`);
    if (text !== "") return await publishToChannel(session, lobbyChannel, outcome.name, text, ref);
    ack(session, ref);
  }

  function invalidUsername(name: string): string {
    return `Invalid username "${
      name.slice(0, 40)
    }": usernames are 1-32 letters, digits, '_', '-' or '.', and not Server or system`;
  }

  function tooManySessions(): string {
    return `This user already holds ${options.maxSessionsPerUser} sessions: close one first`;
  }

  /** Whether the session closed, read afresh after an await. */
  function isClosed(session: Session): boolean {
    return session.state === "closed";
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

  // ---- Ending sessions. ---------------------------------------------------

  /**
   * The edge's connection, checked after every send: a client that does not
   * read makes its queue grow (Deno's idle timeout does not notice), so past
   * `slowConsumerBytes` it is dropped and gets nothing more.
   */
  function watchBackpressure(connection: Connection, onOverflow: () => void): Connection {
    return {
      send(text) {
        connection.send(text);
        if (connection.bufferedAmount > options.slowConsumerBytes) onOverflow();
      },
      close: (code, reason) => connection.close(code, reason),
      get bufferedAmount() {
        return connection.bufferedAmount;
      },
    };
  }

  function dropSlowConsumer(session: Session): void {
    if (session.state === "closed") return;
    log.warn("slow consumer disconnected", {
      session: session.id,
      user: session.user?.name,
      bufferedBytes: session.connection.bufferedAmount,
    });
    closeWith(session, CLOSE_CODES.slow_consumer, "slow consumer");
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
    log.error("opening a session failed", { session: session.id, error });
    return refuseAndClose(session, "internal_error", "Internal error while opening the session");
  }

  function refuseAndClose(
    session: Session,
    code: keyof typeof CLOSE_CODES & ErrorCode,
    message: string,
    ref?: string,
  ): Promise<void> {
    refuse(session, refusal(code, message, ref));
    closeWith(session, CLOSE_CODES[code], code);
    return Promise.resolve();
  }

  function closeWith(session: Session, code: number, reason: string): void {
    session.connection.close(code, reason);
    end(session);
  }

  /** Releases everything the session held; safe to call any number of times. */
  function end(session: Session): void {
    if (session.state === "closed") return;
    session.state = "closed";
    sessions.delete(session.id);
    const granted = grants.get(session);
    if (granted) clearTimeout(granted.expiry);
    grants.delete(session);
    // Commands still running (a claim in flight, say) finish, and undo their work, first.
    const releases: Promise<unknown>[] = [session.queue];
    for (const channel of session.channels) {
      releases.push(roster.remove(channelTopic(channel), session));
    }
    session.channels.clear();
    const user = session.user;
    if (user) {
      releases.push(roster.remove(userTopic(user.key), session));
      releases.push(broker.users.close(user.name, session.id));
      if (session.joinAnnounced) {
        releases.push(announce(`${user.name} has left the chat`));
      }
    }
    const ending = Promise.allSettled(releases).then((results) => {
      for (const result of results) {
        if (result.status === "rejected") {
          log.warn("session cleanup incomplete", { session: session.id, error: result.reason });
        }
      }
    });
    endings.add(ending);
    ending.finally(() => endings.delete(ending));
  }

  let shuttingDown = false;
  return {
    async start() {
      // A broker that is still unreachable registers the lobby once it is back.
      await broker.channels.create(lobbyChannel).catch((error) =>
        log.warn("lobby not registered yet", { error })
      );
      lists.start();
    },
    accept(connection, handshake) {
      // The edge may still hand over a socket it upgraded while shutdown began.
      if (shuttingDown) {
        connection.close(CLOSE_CODES.going_away, "server shutting down");
        return { text() {}, binary() {}, closed() {} };
      }
      // The overflow callback runs only on a send, after the session exists.
      const watched = watchBackpressure(connection, () => dropSlowConsumer(session));
      const session = createSession(newSessionId(), codecs[handshake.kind], watched);
      limits.set(session, {
        frames: createTokenBucket(options.rateMessagesPerSecond, options.rateBurst),
        creations: createTokenBucket(
          options.channelCreationsPerMinute / 60,
          options.channelCreationsPerMinute,
        ),
        strikes: createStrikeCounter(RATE_ABUSE_STRIKES, 10_000),
      });
      sessions.set(session.id, session);
      if (handshake.kind === "A") {
        enqueue(
          session,
          () => openKindA(session, handshake).catch((error) => failOpening(session, error)),
        );
      }
      return {
        text: (data) => guard(session, () => receiveText(session, data)),
        binary: (byteLength) => guard(session, () => receiveBinary(session, byteLength)),
        closed: () => guard(undefined, () => end(session)),
      };
    },
    async shutdown() {
      shuttingDown = true;
      lists.stop();
      for (const session of [...sessions.values()]) {
        closeWith(session, CLOSE_CODES.going_away, "server shutting down");
      }
      await Promise.all([...endings]);
    },
    sessionCount: () => sessions.size,
  };
}
