/**
 * Username claims on fake sessions over the in-memory broker: anonymous
 * claims and tokens, guests, kind-B names, a client gone mid-claim, and
 * AUTH_MODE=jwt subjects verified by the real authenticator.
 */
import { createJwtAuthenticator } from "../../src/auth.ts";
import { createMemoryBroker } from "../../src/broker/memory.ts";
import { type Claims, createClaims } from "../../src/core/claims.ts";
import { endGrant } from "../../src/core/grants.ts";
import type { Broker } from "../../src/broker/broker.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { JWT_SECRET, token } from "../support/jwt.ts";
import { codecB, fakeSession, framesOf, silent } from "../support/sessions.ts";

/** A registering kind-A session. */
const newcomer = () => fakeSession({ state: "registering" });

async function withClaims(
  fn: (claims: Claims, broker: Broker) => Promise<void>,
  options: { maxSessionsPerUser?: number; jwt?: boolean; sharedUsernames?: boolean } = {},
): Promise<void> {
  const broker = createMemoryBroker();
  const claims = createClaims({
    broker,
    log: silent,
    maxSessionsPerUser: options.maxSessionsPerUser ?? 10,
    sharedUsernames: options.sharedUsernames ?? false,
    ...(options.jwt ? { authenticator: createJwtAuthenticator({ secret: JWT_SECRET }) } : {}),
  });
  try {
    await fn(claims, broker);
  } finally {
    await broker.close();
  }
}

/** The refusal a claim sent and how it closed the session. */
function refusalOf(session: ReturnType<typeof fakeSession>) {
  const [frame] = framesOf(session);
  return { code: frame?.code, close: session.connection.closedWith?.code };
}

Deno.test("claims: a free name is claimed with a fresh token; adopting gives the session its user", async () => {
  await withClaims(async (claims, broker) => {
    const session = newcomer();
    const claimed = await claims.forKindA(session, { kind: "A", username: "Alice" });
    assert(claimed);
    assertEquals(claimed.name, "Alice");
    assert(claimed.token.length >= 40, "a token of 256 random bits");
    assertEquals(await claims.adopt(session, claimed), true);
    assertEquals(session.user?.key, "alice");
    assertEquals(await broker.users.online(), ["Alice"]);
  });
});

Deno.test("claims: the holder's token joins the same user, under one holding", async () => {
  await withClaims(async (claims) => {
    const first = await claims.forKindA(newcomer(), { kind: "A", username: "alice" });
    const second = await claims.forKindA(newcomer(), {
      kind: "A",
      username: "ALICE",
      token: first!.token,
    });
    const byToken = await claims.forKindA(newcomer(), { kind: "A", token: first!.token });
    assertEquals([second?.name, second?.token, second?.claimTag], [
      "alice",
      first!.token,
      first!.claimTag,
    ]);
    assertEquals(byToken?.name, "alice");
  });
});

Deno.test("claims: refused claims close the session with the code the protocol names", async () => {
  await withClaims(async (claims) => {
    await claims.forKindA(newcomer(), { kind: "A", username: "alice" });
    const taken = newcomer();
    assertEquals(await claims.forKindA(taken, { kind: "A", username: "alice" }), undefined);
    assertEquals(refusalOf(taken), { code: "username_taken", close: 4002 });
    assertMatch(String(framesOf(taken)[0].message), /Username "alice" is taken/);
    const invalid = newcomer();
    await claims.forKindA(invalid, { kind: "A", username: "two  spaces" });
    assertEquals(refusalOf(invalid), { code: "invalid_username", close: 4003 });
    const unknown = newcomer();
    await claims.forKindA(unknown, { kind: "A", token: "nobody's" });
    assertEquals(refusalOf(unknown), { code: "invalid_token", close: 4004 });
  });
});

Deno.test("claims: SHARED_USERNAMES joins a live kind-A name without its token, never kind B", async () => {
  await withClaims(async (claims) => {
    const first = await claims.forKindA(newcomer(), { kind: "A", username: "alice" });
    const tab = await claims.forKindA(newcomer(), { kind: "A", username: "Alice" });
    assertEquals([tab?.name, tab?.token, tab?.claimTag], ["alice", "", first!.claimTag]);
    const withToken = await claims.forKindA(newcomer(), {
      kind: "A",
      username: "alice",
      token: first!.token,
    });
    assertEquals(withToken?.token, first!.token, "a client with the token still learns it");
    await claims.forKindB(fakeSession({ codec: codecB, state: "registering" }), "Bob", undefined);
    const lobbyName = newcomer();
    await claims.forKindA(lobbyName, { kind: "A", username: "bob" });
    assertEquals(refusalOf(lobbyName), { code: "username_taken", close: 4002 });
    const secondB = fakeSession({ codec: codecB, state: "registering" });
    await claims.forKindB(secondB, "alice", undefined);
    assertEquals(refusalOf(secondB), { code: "username_taken", close: 4002 });
  }, { sharedUsernames: true });
});

Deno.test("claims: a user holds at most MAX_SESSIONS_PER_USER sessions (4006)", async () => {
  await withClaims(async (claims) => {
    const first = await claims.forKindA(newcomer(), { kind: "A", username: "alice" });
    const second = newcomer();
    await claims.forKindA(second, { kind: "A", username: "alice", token: first!.token });
    assertEquals(refusalOf(second), { code: "too_many_sessions", close: 4006 });
  }, { maxSessionsPerUser: 1 });
});

Deno.test("claims: neither name nor token gets a generated guest name", async () => {
  await withClaims(async (claims) => {
    const claimed = await claims.forKindA(newcomer(), { kind: "A" });
    assertMatch(claimed!.name, /^guest-[a-z2-9]{6}$/);
  });
});

Deno.test("claims: a session gone before its claim completed releases the claim when adopted", async () => {
  await withClaims(async (claims, broker) => {
    const session = newcomer();
    const claimed = await claims.forKindA(session, { kind: "A", username: "ghost" });
    session.state = "closed";
    assertEquals(await claims.adopt(session, claimed!), false);
    assertEquals(session.user, undefined);
    assertEquals(await broker.users.online(), []);
  });
});

Deno.test("claims: a kind-B client claims its sender name; a taken one gets the seed's answer", async () => {
  await withClaims(async (claims) => {
    const first = fakeSession({ codec: codecB, state: "registering" });
    assertEquals((await claims.forKindB(first, "Bob", undefined))?.name, "Bob");
    const second = fakeSession({ codec: codecB, state: "registering" });
    assertEquals(await claims.forKindB(second, "bob", "r1"), undefined);
    assertEquals(framesOf(second)[0].text, "Username already taken");
    assertEquals(refusalOf(second), { code: "username_taken", close: 4002 });
    assertEquals(framesOf(second)[0].ref, "r1");
    const invalid = fakeSession({ codec: codecB, state: "registering" });
    await claims.forKindB(invalid, "Server", undefined);
    assertEquals(refusalOf(invalid), { code: "invalid_username", close: 4003 });
  });
});

Deno.test("claims: with AUTH_MODE=jwt the user is the token's subject, and every session joins it", async () => {
  await withClaims(async (claims) => {
    const first = newcomer();
    const claimed = await claims.forKindA(first, { kind: "A", token: await token("alice") });
    assertEquals([claimed?.name, claimed?.token], ["alice", ""]);
    assert(first.grant, "the session is granted what the token allows, until it expires");
    const second = newcomer();
    const joined = await claims.forKindA(second, {
      kind: "A",
      username: "ignored",
      token: await token("alice"),
    });
    assertEquals(joined?.claimTag, claimed?.claimTag);
    endGrant(first);
    endGrant(second);
  }, { jwt: true });
});

Deno.test("claims: with AUTH_MODE=jwt a missing or bad token closes with 4007 or 4004", async () => {
  await withClaims(async (claims) => {
    const missing = newcomer();
    await claims.forKindA(missing, { kind: "A", username: "alice" });
    assertEquals(refusalOf(missing), { code: "auth_required", close: 4007 });
    const bad = newcomer();
    await claims.forKindA(bad, { kind: "A", token: await token("alice", { seconds: -10 }) });
    assertEquals(refusalOf(bad), { code: "invalid_token", close: 4004 });
    assertMatch(String(framesOf(bad)[0].message), /^Invalid token: the token has expired/);
  }, { jwt: true });
});
