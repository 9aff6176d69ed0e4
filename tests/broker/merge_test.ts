import { mergeById } from "../../src/broker/merge.ts";
import { assert, assertEquals } from "../support/assert.ts";

/** An envelope-like value; `from` tells which input a kept one came from. */
const at = (id: string, from = "read") => ({ message: { id }, from });
const ids = (envelopes: { message: { id: string } }[]) => envelopes.map((e) => e.message.id);

Deno.test("mergeById: interleaves the read and the held deliveries in id order", () => {
  const merged = mergeById([at("1"), at("3"), at("5")], [at("2", "held"), at("4", "held")]);
  assertEquals(ids(merged), ["1", "2", "3", "4", "5"]);
});

Deno.test("mergeById: an id in both inputs is kept once, the first input's, by identity", () => {
  const read = [at("1"), at("2")];
  const held = [at("2", "held"), at("3", "held")];
  const merged = mergeById(read, held);
  assertEquals(ids(merged), ["1", "2", "3"]);
  assert(merged[1] === read[1], "the first input wins a tie");
  assert(mergeById(held, read)[1] === held[0], "whichever input comes first");
  assert(merged.includes(read[0]) && merged.includes(held[1]));
  assert(!merged.includes(held[0]));
});

Deno.test("mergeById: an id repeated within one input is kept once, the first", () => {
  const read = [at("1"), at("1", "read again"), at("2")];
  const held = [at("3", "held"), at("3", "held again"), at("4", "held")];
  const merged = mergeById(read, held);
  assertEquals(ids(merged), ["1", "2", "3", "4"]);
  assert(merged[0] === read[0] && merged[2] === held[0]);
});

Deno.test("mergeById: only ids greater than after, from both inputs", () => {
  const merged = mergeById(
    [at("2"), at("3"), at("4")],
    [at("1", "held"), at("3", "held"), at("5")],
    "3",
  );
  assertEquals(ids(merged), ["4", "5"]);
  assertEquals(mergeById([at("1")], [at("1", "held")], "1"), []);
});

Deno.test("mergeById: no cut without after", () => {
  assertEquals(ids(mergeById([at("0000000000000-000000")], [])), ["0000000000000-000000"]);
});

Deno.test("mergeById: empty inputs", () => {
  assertEquals(mergeById([], []), []);
  assertEquals(mergeById([], [], "5"), []);
  const read = [at("1"), at("2")];
  assertEquals(mergeById(read, []), read);
  const held = [at("1", "held"), at("2", "held")];
  assertEquals(mergeById([], held), held);
});

Deno.test("mergeById: held deliveries out of order still come out in id order", () => {
  const merged = mergeById(
    [at("1795271816712-000002")],
    [
      at("1795271816712-000010", "held"),
      at("1795271816712-000003", "held"),
      at("1795271816713-000000"),
    ],
  );
  assertEquals(ids(merged), [
    "1795271816712-000002",
    "1795271816712-000003",
    "1795271816712-000010",
    "1795271816713-000000",
  ]);
});

Deno.test("mergeById: leaves its inputs as they were", () => {
  const read = [at("2"), at("1")];
  const held = [at("4", "held"), at("3", "held")];
  mergeById(read, held, "1");
  assertEquals(ids(read), ["2", "1"]);
  assertEquals(ids(held), ["4", "3"]);
});
