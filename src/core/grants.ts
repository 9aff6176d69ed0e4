/**
 * JWT grants (AUTH_MODE=jwt): what a verified token allows one session, over
 * time. Its `channels` claim bounds the channels the session may use; its
 * expiry closes the session (4001) unless a `refresh` frame brings a newer
 * token for the same user first. Anonymous sessions have no grant and may
 * use any channel.
 *
 * @module
 */
import { type Authenticator, type Identity, InvalidTokenError, mayUseChannel } from "../auth.ts";
import { userKey } from "../protocol/names.ts";
import {
  ack,
  CommandRefused,
  isolate,
  refusal,
  refuse,
  refuseAndClose,
  type Session,
} from "./session.ts";

/** Records what `identity` allows `session` and schedules its close at the token's expiry. */
export function grant(session: Session, identity: Identity): void {
  endGrant(session);
  // A session closed meanwhile has been released already: a timer now would outlive it.
  if (session.state === "closed") return;
  const expiry = setTimeout(
    () =>
      isolate(session, () => {
        refuseAndClose(session, "token_expired", "The token expired: reconnect with a new one");
      }),
    Math.max(0, identity.expiresAt * 1000 - Date.now()),
  );
  session.grant = { ...(identity.channels ? { channels: identity.channels } : {}), expiry };
}

/** Cancels the session's expiry timer; the session is done with its grant. */
export function endGrant(session: Session): void {
  if (session.grant) clearTimeout(session.grant.expiry);
  session.grant = undefined;
}

/** Throws `forbidden` unless the session's token allows `channel`. */
export function checkChannelGrant(session: Session, channel: string): void {
  if (mayUseChannel(session.grant?.channels, channel)) return;
  throw new CommandRefused("forbidden", `Your token does not allow channel "${channel}"`);
}

/** The `refresh` command: a newer token for the same user moves the expiry. */
export async function refresh(
  session: Session,
  authenticator: Authenticator | undefined,
  token: string,
  ref: string | undefined,
): Promise<void> {
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
