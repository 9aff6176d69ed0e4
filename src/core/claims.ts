/**
 * Username claims: how a session gets the user it speaks for. In anonymous
 * mode a kind-A client claims a free name (and gets a fresh token), joins
 * the user whose token it presents, or gets a guest name; a kind-B client
 * claims the name of its first frame. With AUTH_MODE=jwt every session of a
 * token's subject joins that subject's one claim. A user the server API
 * banned claims nothing. A refused claim closes the session with the code
 * the protocol names for it.
 *
 * @module
 */
import { type Authenticator, type Identity, InvalidTokenError } from "../auth.ts";
import type { Broker, OpenSessionResult } from "../broker/broker.ts";
import type { Config } from "../config.ts";
import { guestName, hashToken, newToken } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { Handshake } from "../protocol/handshake.ts";
import { checkName, DEFAULT_SCRIPT_RESTRICTION, quoteName, userKey } from "../protocol/names.ts";
import { grant } from "./grants.ts";
import { until } from "./channels.ts";
import { refuseAndClose, type Session } from "./session.ts";

/** What the claims need. */
export interface ClaimOptions
  extends
    Pick<Config, "maxSessionsPerUser" | "sharedUsernames">,
    Partial<Pick<Config, "nameScriptRestriction">> {
  broker: Broker;
  log: Logger;
  /** AUTH_MODE=jwt: verifies tokens; absent in anonymous mode. */
  authenticator?: Authenticator;
}

/** A name the session now holds, and the token that lets another connection join it. */
export interface Claimed {
  name: string;
  token: string;
  claimTag: string;
  /** The name was free and is claimed anew, with a fresh token (a presented token was stale). */
  fresh: boolean;
  /** This is the user's only live session: the user just came online. */
  firstSession: boolean;
  /**
   * This is the user's only live session: the inbox after this message id
   * (from its start when absent) came while they were away.
   */
  returning?: { seen?: string };
}

/** Claims for this instance's sessions. */
export interface Claims {
  /** The user a kind-A handshake asks for; refused (and closed) it is undefined. */
  forKindA(session: Session, handshake: Handshake & { kind: "A" }): Promise<Claimed | undefined>;
  /** The name of a kind-B client's first frame; refused (and closed) it is undefined. */
  forKindB(session: Session, sender: string, ref: string | undefined): Promise<Claimed | undefined>;
  /**
   * Refuses (4009, and closes) the session of `name` if the server API
   * banned that user; resolves whether it did. Checked before a claim (a
   * banned user holds nothing, even briefly) and again once the session
   * listens to its user's topic, where a ban set meanwhile is heard.
   */
  refuseIfBarred(session: Session, name: string, ref?: string): Promise<boolean>;
  /** Gives a claimed session its user; false (and the claim released) if it closed meanwhile. */
  adopt(session: Session, claimed: Claimed): Promise<boolean>;
  /**
   * Ends a closed session's hold on its user; the claim ends with the user's
   * last session. Resolves true when the user went offline with it.
   */
  release(session: Session): Promise<boolean>;
}

type Outcome =
  | ({ ok: true } & Claimed)
  | { ok: false; code: "username_taken" | "invalid_token" | "too_many_sessions" };

/** Tries at a free generated guest name before giving up. */
const GUEST_NAME_TRIES = 5;

/** Creates the claims of one instance. */
export function createClaims(options: ClaimOptions): Claims {
  const { broker, authenticator, log } = options;
  const scripts = options.nameScriptRestriction ?? DEFAULT_SCRIPT_RESTRICTION;

  /**
   * Claims `name` (or joins the user holding `token`) for the session; with
   * `shared`, joins the live kind-A user of that name whatever the token.
   */
  async function claim(
    session: Session,
    name: string | undefined,
    token: string | undefined,
    shared = false,
  ): Promise<Outcome> {
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
      ...(shared ? { shared } : {}),
    });
    switch (result.status) {
      case "claimed":
        return {
          ok: true,
          name: result.user.name,
          token: fresh,
          claimTag: tag(result.tokenHash),
          fresh: true,
          firstSession: result.firstSession,
          ...returning(result),
        };
      case "joined":
        return {
          ok: true,
          name: result.user.name,
          // Joined by name alone (SHARED_USERNAMES), the session never learns the user's token.
          token: result.tokenHash === presentedTokenHash ? token! : "",
          claimTag: tag(result.tokenHash),
          fresh: false,
          firstSession: result.firstSession,
          ...returning(result),
        };
      case "taken":
        return { ok: false, code: "username_taken" };
      case "unknown_token":
        return { ok: false, code: "invalid_token" };
      case "too_many_sessions":
        return { ok: false, code: "too_many_sessions" };
    }
  }

  async function claimGuest(session: Session): Promise<Outcome> {
    for (let attempt = 1;; attempt++) {
      const outcome = await claim(session, guestName(), undefined);
      if (outcome.ok || attempt === GUEST_NAME_TRIES) return outcome;
    }
  }

  /** The NFC form of a username a client asks for; refused (and closed) it is undefined. */
  async function checkUsername(
    session: Session,
    raw: string,
    ref?: string,
  ): Promise<string | undefined> {
    const verdict = checkName(raw, "username", scripts);
    if (verdict.ok) return verdict.name;
    const message = `Invalid username: ${quoteName(raw)} ${verdict.problem}`;
    await refuseAndClose(session, "invalid_username", message, ref);
    return undefined;
  }

  async function claimAnonymously(
    session: Session,
    handshake: Handshake & { kind: "A" },
  ): Promise<Claimed | undefined> {
    const { token } = handshake;
    const username = handshake.username === undefined
      ? undefined
      : await checkUsername(session, handshake.username);
    if (username === undefined && handshake.username !== undefined) return undefined;
    if (username !== undefined && await refuseIfBarred(session, username)) return undefined;
    const outcome = username === undefined && token === undefined
      ? await claimGuest(session)
      : await claim(session, username, token, options.sharedUsernames);
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
          "The token matches no user: it ends RECONNECT_GRACE_MS after its user's last " +
            "session closed. Connect with a username instead",
        );
        break;
      case "too_many_sessions":
        await refuseAndClose(session, "too_many_sessions", tooManySessions());
        break;
    }
    return undefined;
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
  ): Promise<Claimed | undefined> {
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
    if (await refuseIfBarred(session, identity.user)) return undefined;
    const subjectHash = await hashToken(`jwt:${userKey(identity.user)}`);
    const result = await broker.users.open({
      name: identity.user,
      presentedTokenHash: subjectHash,
      freshTokenHash: subjectHash,
      sessionId: session.id,
      kind: "A",
      maxSessions: options.maxSessionsPerUser,
      identified: true,
    });
    if (result.status === "too_many_sessions") {
      await refuseAndClose(session, "too_many_sessions", tooManySessions());
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
    return {
      name: result.user.name,
      token: "",
      claimTag: tag(subjectHash),
      fresh: false,
      firstSession: result.firstSession,
      ...returning(result, true),
    };
  }

  async function refuseIfBarred(session: Session, name: string, ref?: string): Promise<boolean> {
    const barredUntil = await broker.users.barredUntil(name);
    if (barredUntil === undefined) return false;
    await refuseAndClose(
      session,
      "banned",
      `You are banned from this server ${until(barredUntil)}`,
      ref,
    );
    return true;
  }

  function tooManySessions(): string {
    return `This user already holds ${options.maxSessionsPerUser} sessions: close one first`;
  }

  return {
    refuseIfBarred,
    forKindA(session, handshake) {
      return authenticator
        ? claimWithJwt(session, authenticator, handshake.token)
        : claimAnonymously(session, handshake);
    },
    async forKindB(session, sender, ref) {
      const name = await checkUsername(session, sender, ref);
      if (name === undefined || await refuseIfBarred(session, name, ref)) return undefined;
      const outcome = await claim(session, name, undefined);
      if (outcome.ok) return outcome;
      await refuseAndClose(session, "username_taken", "Username already taken", ref);
      return undefined;
    },
    async adopt(session, { name, token, claimTag }) {
      if (session.state === "closed") {
        await broker.users.close(name, session.id).catch((error) =>
          log.warn("claim.release_failed", { user: name, error })
        );
        return false;
      }
      session.user = { name, key: userKey(name), token, claimTag };
      return true;
    },
    release(session) {
      return session.user
        ? broker.users.close(session.user.name, session.id)
        : Promise.resolve(false);
    },
  };
}

/**
 * What a user coming back (their only live session) has to catch up on: a
 * held name joined again, or a verified identity's inbox. An anonymous name
 * claimed anew starts with an empty inbox, so there is nothing to read.
 */
function returning(
  result: OpenSessionResult & { status: "claimed" | "joined" },
  identified = false,
): Pick<Claimed, "returning"> {
  if (!result.firstSession || (result.status === "claimed" && !identified)) return {};
  return { returning: result.seen === undefined ? {} : { seen: result.seen } };
}

/** A short, non-secret tag of one holding of a name: part of its token's hash. */
function tag(tokenHash: string): string {
  return tokenHash.slice(0, 16);
}
