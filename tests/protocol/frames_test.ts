/**
 * The outbound frame types the codecs build: derived from the outbound
 * schemas, they must stay exact, or an encoder could drift from its schema
 * without failing type-checking.
 */
import { ServerFrameA, ServerFrameB } from "../../src/protocol/frames.ts";
import { assert, assertEquals } from "../support/assert.ts";

Deno.test("frames: the encoders' frame types refuse a missing seed key, an unknown key or a wrong type", () => {
  const seed = { to: "", from: "", sessionID: "", message: "" };
  const ack: ServerFrameA<"ack"> = { type: "ack", ...seed, ref: "r1" };
  // @ts-expect-error The seed key `sessionID` is missing.
  const missing: ServerFrameA<"ack"> = { type: "ack", to: "", from: "", message: "", ref: "r1" };
  const unknownKey: ServerFrameA<"ack"> = {
    ...ack,
    // @ts-expect-error `reference` is not a key of the ack schema.
    reference: "r1",
  };
  const wrongType: ServerFrameB<"message"> = {
    sender: "alice",
    text: "hello",
    id: "1700000000000-000000",
    // @ts-expect-error `ts` is a number.
    ts: "1700000000000",
  };
  assert(ServerFrameA.safeParse(ack).success);
  assert(!ServerFrameA.safeParse(missing).success);
  assert(!ServerFrameB.safeParse(wrongType).success);
  assertEquals(
    ServerFrameA.parse(unknownKey),
    ack,
    "the schema strips an unknown key: only the type keeps it off the wire",
  );
});
