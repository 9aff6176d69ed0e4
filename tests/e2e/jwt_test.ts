/**
 * AUTH_MODE=jwt: identities from verified tokens (HS256, RS256, ES256, JWKS),
 * refused tokens, refresh before expiry, the channels claim, the lobby
 * without a token, and a user's sessions on several instances.
 */
import * as jose from "jose";
import { connect, joinChannel, type TestClient } from "../support/client.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { startCluster } from "../support/cluster.ts";
import { rawUpgrade } from "../support/raw.ts";
import { assertEquals } from "../support/assert.ts";
import { JWT_SECRET, token } from "../support/jwt.ts";

const KEY = new TextEncoder().encode(JWT_SECRET);
const JWT_ENV = { AUTH_MODE: "jwt", JWT_SECRET };

async function joinJwt(ws: string, jwt: string, extra = ""): Promise<TestClient> {
  const client = await connect(`${ws}?token=${jwt}${extra}`);
  await client.take({ type: "channelList" });
  return client;
}

async function refused(ws: string, jwt: string | undefined, code: string, close: number) {
  await using client = await connect(
    jwt === undefined ? `${ws}?username=someone` : `${ws}?token=${jwt}`,
  );
  const error = await client.take({ type: "error" });
  assertEquals(error.code, code, error.message);
  assertEquals((await client.closed).code, close);
}

testEachRuntime(
  "jwt: the user is the token's sub; usernames in the query are ignored; many sessions",
  async (runtime) => {
    await using server = await startServer(runtime, JWT_ENV);
    const jwt = await token("alice");
    await using first = await connect(`${server.ws}?token=${jwt}&username=mallory`);
    const welcome = await first.take({ type: "sessionID" });
    assertEquals([welcome.username, welcome.token], ["alice", ""]);
    await using second = await joinJwt(server.ws, await token("alice"));
    await using bob = await joinJwt(server.ws, await token("bob"));
    bob.send({ type: "directMessage", to: "alice", message: "to both tabs", ref: "d" });
    await bob.take({ type: "ack", ref: "d" });
    await first.take({ type: "directMessage", message: "to both tabs" });
    await second.take({ type: "directMessage", message: "to both tabs" });
  },
);

testEachRuntime(
  "jwt: expired, badly signed, wrong audience, no exp, bad sub or no token are refused",
  async (runtime) => {
    await using server = await startServer(runtime, { ...JWT_ENV, JWT_AUDIENCE: "natter" });
    await refused(
      server.ws,
      await token("alice", { seconds: -10, audience: "natter" }),
      "invalid_token",
      4004,
    );
    await refused(
      server.ws,
      await token("alice", { key: new TextEncoder().encode("x".repeat(40)), audience: "natter" }),
      "invalid_token",
      4004,
    );
    await refused(server.ws, await token("alice", { audience: "other" }), "invalid_token", 4004);
    const noExp = await new jose.SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject(
      "alice",
    )
      .setAudience("natter").sign(KEY);
    await refused(server.ws, noExp, "invalid_token", 4004);
    await refused(
      server.ws,
      await token("not a name!", { audience: "natter" }),
      "invalid_token",
      4004,
    );
    await refused(server.ws, "not.a.jwt", "invalid_token", 4004);
    await refused(server.ws, undefined, "auth_required", 4007);
  },
);

testEachRuntime(
  "jwt: an Authorization: Bearer header works for non-browser clients",
  async (runtime) => {
    await using server = await startServer(runtime, JWT_ENV);
    const attempt = await rawUpgrade(server.port, "/ws", {
      Authorization: `Bearer ${await token("carol")}`,
    });
    using client = attempt.client!;
    const welcome = JSON.parse((await client.readFrame()).text);
    assertEquals([welcome.type, welcome.username], ["sessionID", "carol"]);
  },
);

testEachRuntime(
  "jwt: a session ends at its token's expiry (4001) unless refreshed first",
  async (runtime) => {
    await using server = await startServer(runtime, JWT_ENV);
    const shortLived = await token("dave", { seconds: 2 });
    await using refreshed = await joinJwt(server.ws, shortLived);
    await using expiring = await joinJwt(server.ws, shortLived);
    refreshed.send({ type: "refresh", token: await token("mallory"), ref: "wrong" });
    assertEquals((await refreshed.take({ ref: "wrong" })).code, "invalid_token");
    refreshed.send({ type: "refresh", token: await token("dave", { seconds: 600 }), ref: "r" });
    await refreshed.take({ type: "ack", ref: "r" });
    const error = await expiring.take({ type: "error" });
    assertEquals(error.code, "token_expired");
    assertEquals((await expiring.closed).code, 4001);
    // The other session was refreshed in time: it outlives the first token.
    refreshed.send({ type: "joinChannel", to: "still-here", ref: "j" });
    await refreshed.take({ type: "ack", ref: "j" });
  },
);

testEachRuntime(
  "jwt: the channels claim limits joining, publishing and reading",
  async (runtime) => {
    await using server = await startServer(runtime, JWT_ENV);
    await using erin = await joinJwt(
      server.ws,
      await token("erin", { claims: { channels: ["general", "team-*"] } }),
    );
    await using frank = await joinJwt(server.ws, await token("frank"));
    await joinChannel(erin, "general");
    await joinChannel(erin, "team-red");
    for (
      const [ref, frame] of [
        ["j", { type: "joinChannel", to: "random" }],
        ["b", { type: "broadcast", to: "random", message: "hi" }],
        ["h", { type: "history", to: "random" }],
        ["l", { type: "joinChannel", to: "lobby" }],
      ] as const
    ) {
      erin.send({ ...frame, ref });
      assertEquals((await erin.take({ ref })).code, "forbidden", ref);
    }
    erin.send({ type: "directMessage", to: "frank", message: "DMs are not channels", ref: "d" });
    await erin.take({ type: "ack", ref: "d" });
    await frank.take({ type: "directMessage" });
  },
);

testEachRuntime(
  "jwt: channelList shows a user only the channels the channels claim allows",
  async (runtime) => {
    await using server = await startServer(runtime, { ...JWT_ENV, LIST_UPDATE_INTERVAL_MS: "100" });
    await using frank = await joinJwt(server.ws, await token("frank"));
    await joinChannel(frank, "secret-plans");
    await joinChannel(frank, "team-blue");
    await using erin = await connect(
      `${server.ws}?token=${await token("erin", { claims: { channels: ["general", "team-*"] } })}`,
    );
    const handshake = await erin.take({ type: "channelList" });
    assertEquals(JSON.parse(handshake.message!), ["team-blue"]);
    await joinChannel(frank, "team-red");
    await joinChannel(frank, "more-secrets");
    await joinChannel(erin, "general");
    const update = await erin.take((f) =>
      f.type === "channelList" && f.message!.includes("team-red")
    );
    assertEquals(JSON.parse(update.message!), ["general", "team-blue", "team-red"]);
    const all = await frank.take((f) => f.type === "channelList" && f.message!.includes("general"));
    assertEquals(JSON.parse(all.message!).length, 6, "an unrestricted user sees every channel");
    assertEquals(
      erin.received.filter((f) => f.type === "channelList" && /secret|lobby/.test(f.message!)),
      [],
      "no frame ever named a forbidden channel",
    );
  },
);

testEachRuntime(
  "jwt: lobby clients without a token are refused, or guests when allowed",
  async (runtime) => {
    {
      await using server = await startServer(runtime, JWT_ENV);
      await using bob = await connect(server.ws, "B");
      bob.send({ sender: "Bob", text: "" });
      assertEquals((await bob.take()).code, "auth_required");
      assertEquals((await bob.closed).code, 4007);
    }
    await using server = await startServer(runtime, { ...JWT_ENV, ALLOW_ANONYMOUS_LOBBY: "true" });
    await using bob = await connect(server.ws, "B");
    bob.send({ sender: "Bob", text: "" });
    assertEquals((await bob.take()).text, "guest-Bob has joined the chat");
  },
);

testEachRuntime(
  "jwt: RS256 and ES256 tokens verify with a PEM key or a JWKS URL",
  async (runtime) => {
    for (const alg of ["RS256", "ES256"] as const) {
      const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
      const signed = await new jose.SignJWT({}).setProtectedHeader({ alg, kid: "k1" }).setSubject(
        "gus",
      )
        .setExpirationTime("10m").sign(privateKey);
      {
        await using server = await startServer(runtime, {
          AUTH_MODE: "jwt",
          JWT_PUBLIC_KEY: await jose.exportSPKI(publicKey),
        });
        await using gus = await connect(`${server.ws}?token=${signed}`);
        assertEquals((await gus.take({ type: "sessionID" })).username, "gus", alg);
      }
      const jwk = { ...(await jose.exportJWK(publicKey)), kid: "k1", alg };
      const stop = new AbortController();
      const jwks = Deno.serve(
        { hostname: "127.0.0.1", port: 0, signal: stop.signal, onListen() {} },
        () => Response.json({ keys: [jwk] }),
      );
      try {
        await using server = await startServer(runtime, {
          AUTH_MODE: "jwt",
          JWKS_URL: `http://127.0.0.1:${jwks.addr.port}/jwks.json`,
        });
        await using gus = await connect(`${server.ws}?token=${signed}`);
        assertEquals((await gus.take({ type: "sessionID" })).username, "gus", `${alg} via JWKS`);
      } finally {
        stop.abort();
        await jwks.finished;
      }
    }
  },
);

Deno.test("jwt: a user's sessions on several instances share one identity and one session cap [deno+node]", async () => {
  await using cluster = await startCluster(2, { ...JWT_ENV, MAX_SESSIONS_PER_USER: "2" });
  const [one, two] = cluster.instances;
  await using a1 = await joinJwt(one.ws, await token("hana"));
  await using a2 = await joinJwt(two.ws, await token("hana"));
  await using third = await connect(`${one.ws}?token=${await token("hana")}`);
  assertEquals((await third.take({ type: "error" })).code, "too_many_sessions");
  await using ivan = await joinJwt(two.ws, await token("ivan"));
  ivan.send({ type: "directMessage", to: "hana", message: "both instances", ref: "d" });
  await ivan.take({ type: "ack", ref: "d" });
  await a1.take({ type: "directMessage", message: "both instances" });
  await a2.take({ type: "directMessage", message: "both instances" });
  assertEquals(a1.received[0].username, "hana");
});
