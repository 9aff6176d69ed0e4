/** The `/ws` handshake: which client kind a query string makes, and what it carries. */
import { parseHandshake } from "../../src/protocol/handshake.ts";
import { assertEquals } from "../support/assert.ts";

Deno.test("handshake: ?username=alice is kind A with that username", () => {
  assertEquals(parseHandshake(new URLSearchParams("username=alice")), {
    kind: "A",
    username: "alice",
  });
});

Deno.test("handshake: an empty ?username= is kind A without a username (a guest)", () => {
  assertEquals(parseHandshake(new URLSearchParams("username=")), { kind: "A" });
});

Deno.test("handshake: ?token=t is kind A with the token", () => {
  assertEquals(parseHandshake(new URLSearchParams("token=t")), { kind: "A", token: "t" });
  assertEquals(parseHandshake(new URLSearchParams("username=alice&token=t")), {
    kind: "A",
    username: "alice",
    token: "t",
  });
});

Deno.test("handshake: no query, or only unrelated parameters, is kind B", () => {
  assertEquals(parseHandshake(new URLSearchParams("")), { kind: "B" });
  assertEquals(parseHandshake(new URLSearchParams("name=alice&user=bob&v=2")), { kind: "B" });
});

Deno.test("handshake: a percent-encoded username is decoded, not validated here", () => {
  assertEquals(parseHandshake(new URLSearchParams("username=a%20b")), {
    kind: "A",
    username: "a b",
  });
});
