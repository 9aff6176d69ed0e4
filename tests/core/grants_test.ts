/**
 * JWT grants on fake sessions: the channels claim, the close at expiry,
 * and `refresh`, verified by the real authenticator.
 */
import { createJwtAuthenticator } from "../../src/auth.ts";
import { checkChannelGrant, endGrant, grant, refresh } from "../../src/core/grants.ts";
import { CommandRefused } from "../../src/core/session.ts";
import { assertEquals, assertThrows } from "../support/assert.ts";
import { JWT_SECRET, token } from "../support/jwt.ts";
import { fakeSession, framesOf } from "../support/sessions.ts";

const authenticator = createJwtAuthenticator({ secret: JWT_SECRET });
const inAnHour = () => Date.now() / 1000 + 3600;

Deno.test("grants: without a grant any channel may be used", () => {
  checkChannelGrant(fakeSession(), "anything");
});

Deno.test("grants: the channels claim allows its names and prefixes, and forbids the rest", () => {
  const session = fakeSession({ user: "alice" });
  grant(session, { user: "alice", expiresAt: inAnHour(), channels: ["dev", "team-*"] });
  checkChannelGrant(session, "dev");
  checkChannelGrant(session, "team-red");
  const refused = assertThrows(
    () => checkChannelGrant(session, "random"),
    CommandRefused,
    'Your token does not allow channel "random"',
  );
  assertEquals((refused as CommandRefused).code, "forbidden");
  endGrant(session);
  checkChannelGrant(session, "random");
});

Deno.test("grants: at the token's expiry the session is refused with token_expired and closed (4001)", async () => {
  const session = fakeSession({ user: "alice" });
  grant(session, { user: "alice", expiresAt: Date.now() / 1000 + 0.05 });
  await session.closed;
  assertEquals(framesOf(session).map((frame) => frame.code), ["token_expired"]);
  assertEquals(session.connection.closedWith, { code: 4001, reason: "token_expired" });
});

Deno.test("grants: a session that closed gets no grant, so no timer outlives it", () => {
  const session = fakeSession({ user: "alice", state: "closed" });
  grant(session, { user: "alice", expiresAt: inAnHour() });
  assertEquals(session.grant, undefined);
});

Deno.test("grants: refresh with a newer token of the same user replaces the grant and acks", async () => {
  const session = fakeSession({ user: "alice" });
  grant(session, { user: "alice", expiresAt: inAnHour(), channels: ["dev"] });
  const first = session.grant!.expiry;
  const newer = await token("alice", { seconds: 7200, claims: { channels: ["ops"] } });
  await refresh(session, authenticator, newer, "r");
  assertEquals(framesOf(session).map((frame) => [frame.type, frame.ref]), [["ack", "r"]]);
  assertEquals(session.grant?.channels, ["ops"]);
  assertEquals(session.grant?.expiry === first, false, "the old expiry timer is replaced");
  endGrant(session);
});

Deno.test("grants: refresh is refused for another user, a bad token, or without AUTH_MODE=jwt", async () => {
  const session = fakeSession({ user: "alice" });
  grant(session, { user: "alice", expiresAt: inAnHour() });
  await refresh(session, authenticator, await token("bob"), "other");
  await refresh(session, authenticator, "not.a.jwt", "bad");
  await refresh(session, undefined, await token("alice"), "anonymous");
  assertEquals(framesOf(session).map((frame) => [frame.ref, frame.code]), [
    ["other", "invalid_token"],
    ["bad", "invalid_token"],
    ["anonymous", "invalid_frame"],
  ]);
  assertEquals(framesOf(session)[0].message, "The token is for another user");
  endGrant(session);
});
