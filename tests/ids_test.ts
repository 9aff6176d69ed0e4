import { createMessageClock, formatMessageId, MAX_SEQUENCE } from "../src/ids.ts";
import { assert, assertEquals } from "./support/assert.ts";

Deno.test("ids: message ids carry their millisecond and sort numerically as strings", () => {
  assertEquals(formatMessageId(1795271816712, 3), "1795271816712-000003");
  assert(formatMessageId(999, 10) < formatMessageId(1000, 0));
  assert(formatMessageId(5, 9) < formatMessageId(5, 10));
});

Deno.test("ids: the clock strictly increases within a millisecond and when time steps back", () => {
  let now = 1000;
  const next = createMessageClock(() => now);
  const ids = [next(), next()];
  now = 900;
  ids.push(next());
  now = 1001;
  ids.push(next());
  assertEquals(ids.map((s) => s.id), [
    "0000000001000-000000",
    "0000000001000-000001",
    "0000000001000-000002",
    "0000000001001-000000",
  ]);
  assertEquals(ids.map((s) => s.ts), [1000, 1000, 1000, 1001]);
});

Deno.test("ids: a full millisecond rolls over to the next one, keeping order", () => {
  const next = createMessageClock(() => 7);
  let previous = next().id;
  for (let i = 0; i < MAX_SEQUENCE + 2; i++) {
    const id = next().id;
    assert(id > previous, `${id} after ${previous}`);
    previous = id;
  }
  assertEquals(previous, "0000000000008-000001");
});
