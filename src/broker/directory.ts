/**
 * The user directory's part of the broker contract (see `broker.ts`):
 * username claims, sessions, presence and each user's channels, shared by
 * every instance.
 *
 * @module
 */
import type { Presence, UserStatus } from "../protocol/commands.ts";
import type { Measure } from "./registry.ts";

/** A user as the directory knows it. */
export interface UserRecord {
  /** The name as first claimed (uniqueness is case-insensitive). */
  name: string;
  /** The client kind of the user's sessions; kind-B users hold exactly one. */
  kind: "A" | "B";
}

/** A user who holds a name: with live sessions, or within the grace after the last one ended. */
export interface HeldUser extends UserRecord {
  /** Whether the user has a live session now. */
  online: boolean;
}

/** A request to open a session under a user. */
export interface OpenSessionRequest {
  /** The wanted username; absent to join the user holding `presentedTokenHash`. */
  name?: string;
  /** Hash of the token the client presented, if any. */
  presentedTokenHash?: string;
  /** Hash of a fresh token that becomes the user's if this claims a free name. */
  freshTokenHash: string;
  sessionId: string;
  kind: "A" | "B";
  /** Sessions the user may hold at once; joining beyond it answers "too_many_sessions". */
  maxSessions: number;
  /**
   * SHARED_USERNAMES: join the live kind-A user holding `name` whatever token
   * was presented, as seed A let any connection speak as a live name.
   */
  shared?: boolean;
  /**
   * The name is a verified identity (AUTH_MODE=jwt): its inbox is the name's,
   * kept whoever claims it, so direct messages sent before its first session
   * wait for it. Otherwise a claim by a new holder starts with an empty inbox.
   */
  identified?: boolean;
}

/** How an open request ended. */
export type OpenSessionResult =
  | {
    status: "claimed" | "joined";
    user: UserRecord;
    /** Hash of the user's token: the fresh one when claimed, the holding's when joined. */
    tokenHash: string;
    /** This session is the user's only live one: the user is back (or new). */
    firstSession: boolean;
    /**
     * With `firstSession`: the newest message of the user's inbox when their
     * sessions last ended, so what came after is unread. Absent when the
     * inbox is new to this holder, or had nothing then.
     */
    seen?: string;
  }
  | { status: "taken" }
  | { status: "unknown_token" }
  | { status: "too_many_sessions" };

/** Username claims and presence, shared by every instance. */
export interface UserDirectory {
  /**
   * Opens a session atomically: claims `name` when nobody holds it (no live
   * session, no grace: "claimed", the fresh token becomes the user's; the
   * inbox is kept only for the holder whose token it was); adds the session
   * to the user holding it when the presented token hash matches, or with
   * `shared` when both are kind A ("joined"), also within the grace;
   * otherwise refuses ("taken"). Without `name`, joins the user whose token
   * matches, or answers "unknown_token". Names compare by `userKey`.
   */
  open(request: OpenSessionRequest): Promise<OpenSessionResult>;
  /**
   * Ends one session. With the user's last session the user goes offline
   * but, for kind A, keeps the name, token and inbox for the reconnect grace
   * (a kind-B name, which has no token, is free at once): the
   * holder's token joins it again within it, and nobody else can claim it.
   * A holding whose instance died without closing lasts the presence TTL,
   * then the grace. Idempotent. Resolves true when this closed the user's
   * last live session: the user went offline (and is last seen now).
   */
  close(name: string, sessionId: string): Promise<boolean>;
  /** The user called `name` (any case) who holds it, online or within the grace, if any. */
  lookup(name: string): Promise<HeldUser | undefined>;
  /** Names of every user with at least one live session. */
  online(): Promise<string[]>;
  /** How many users have a live session: cheap, whatever their number. */
  onlineCount(): Promise<number>;
  /** Sets the status and custom text (none when absent) of the user called `name`. */
  setStatus(name: string, status: UserStatus, text?: string): Promise<void>;
  /** What others see of each user named (by `userKey`); unknown users come back offline. */
  presence(names: string[]): Promise<Presence[]>;
  /**
   * The channels the user called `name` belongs to: kept with the user's
   * inbox (a new holder of an anonymous name starts with none).
   */
  memberships(name: string): Promise<string[]>;
  /** Makes `channel` one of the user's (or not); resolves whether that changed anything. */
  setMembership(name: string, channel: string, member: boolean): Promise<boolean>;
  /**
   * Bars the user called `name` (any case) from opening sessions, until a
   * time or for good, or lifts the bar. It stays with the name, whoever
   * holds it, until it ends.
   */
  bar(name: string, measure: Measure): Promise<void>;
  /** Until when (ms) the user called `name` may not open a session (`Infinity`: for good); undefined when free to. */
  barredUntil(name: string): Promise<number | undefined>;
}
