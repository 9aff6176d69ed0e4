import { EventEmitter } from "node:events";
import { whenConnected } from "../../src/broker/redis_commands.ts";
import { assertEquals } from "../support/assert.ts";

/** Just what `whenConnected` looks at: a status and the connection's events. */
function fakeConnection(status: string) {
  return Object.assign(new EventEmitter(), { status });
}

const listeners = (connection: EventEmitter) =>
  connection.listenerCount("ready") + connection.listenerCount("end");

Deno.test("whenConnected: a connection that still says ready is looked at again after a pause, not in a microtask", async () => {
  const connection = fakeConnection("ready");
  const order: string[] = [];
  // Stands for the socket's close, which only an event-loop turn can handle.
  setTimeout(() => order.push("close handled"), 0);
  await whenConnected(connection);
  order.push("look again");
  assertEquals(order, ["close handled", "look again"]);
  assertEquals(listeners(connection), 0);
});

Deno.test("whenConnected: a connection that is down is waited for until ready", async () => {
  const connection = fakeConnection("reconnecting");
  let resolved = false;
  const waiting = whenConnected(connection).then(() => resolved = true);
  await new Promise((resolve) => setTimeout(resolve, 150));
  assertEquals(resolved, false, "no pause ends the wait while the connection is down");
  connection.emit("ready");
  await waiting;
  assertEquals(listeners(connection), 0);
});

Deno.test("whenConnected: an end, or a ready before the pause, ends the wait and leaves no timer", async () => {
  for (const [status, event] of [["close", "end"], ["ready", "ready"]]) {
    const connection = fakeConnection(status);
    const waiting = whenConnected(connection);
    connection.emit(event);
    await waiting;
    assertEquals(listeners(connection), 0);
  }
});
