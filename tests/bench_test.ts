/**
 * The benchmark's own parts that its figures rest on: the zero-logic Deno
 * server really fans a broadcast out to every member of a room (and only
 * there) and acks it, as the bench's clients see it; and the chart writer
 * draws well-formed SVG with one series per server. No timing is asserted
 * here: timing is the bench's.
 *
 * @module
 */
import { assert, assertEquals } from "./support/assert.ts";
import { closeAll, connect, Meter, publishOpenLoop, until } from "../bench/load.ts";
import { SERVERS, startServers } from "../bench/servers.ts";
import { barChart, lineChart } from "../bench/svg.ts";

Deno.test("the raw Deno server fans a broadcast out to the room's members only, and acks it", async () => {
  const kind = SERVERS.find((server) => server.id === "raw-deno")!;
  await using servers = await startServers(kind);
  const [origin] = servers.origins;
  const room = new Meter();
  const elsewhere = new Meter();
  const acks: string[] = [];
  room.onAck = (ref) => acks.push(ref);
  const members = await Promise.all(
    ["ann", "bob", "cid"].map((name) => connect(kind.dialect, origin, name, "room-1", room)),
  );
  const outsider = await connect(kind.dialect, origin, "dan", "room-2", elsewhere);
  try {
    await publishOpenLoop(kind.dialect, room, [members[0]], {
      perSecond: 1000,
      durationMs: 2,
      firstSeq: 1,
    });
    assert(await until(() => room.deliveries === 6 && acks.length === 2, 10_000));
    assertEquals(acks, ["1", "2"]);
    // A later frame to the outsider's room shows nothing else reached it meanwhile.
    outsider.socket.send(kind.dialect.publish("room-2", 9, "9"));
    assert(await until(() => elsewhere.deliveries === 1, 10_000));
    assertEquals(room.deliveries, 6);
  } finally {
    await closeAll([...members, outsider]);
  }
});

/** Whether every tag of `svg` closes in order (self-closing ones aside). */
function wellFormed(svg: string): boolean {
  const open: string[] = [];
  for (const [tag, closing, name, selfClosing] of svg.matchAll(/<(\/?)([a-z]+)[^>]*?(\/?)>/g)) {
    if (tag.startsWith("<?")) continue;
    if (selfClosing) continue;
    if (!closing) open.push(name);
    else if (open.pop() !== name) return false;
  }
  return open.length === 0 && svg.trimStart().startsWith("<svg");
}

Deno.test("the charts are well-formed SVG with one series per server", () => {
  const servers = ["Natter on Deno", "raw Deno", "Socket.IO <4> & co"];
  const line = lineChart({
    title: "p99",
    xLabel: "deliveries/s",
    yLabel: "ms",
    series: servers.map((name, i) => ({ name, points: [[50_000, 5 + i], [75_000, 9 + i]] })),
  });
  assert(wellFormed(line), line);
  assertEquals([...line.matchAll(/<polyline /g)].length, servers.length);
  assertEquals(
    [...line.matchAll(/<polyline [^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1]),
    ["Natter on Deno", "raw Deno", "Socket.IO &lt;4&gt; &amp; co"],
  );
  const bars = barChart({
    title: "memory",
    unit: "KiB",
    bars: servers.map((name, i) => ({
      name,
      value: 10 * (i + 1),
      min: 9 * (i + 1),
      max: 11 * (i + 1),
    })),
  });
  assert(wellFormed(bars), bars);
  // The background, then one bar per server, each named.
  assertEquals([...bars.matchAll(/<rect /g)].length, 1 + servers.length);
  assertEquals(
    [...bars.matchAll(/text-anchor="end">([^<]*)<\/text>/g)].map((m) => m[1]),
    ["Natter on Deno", "raw Deno", "Socket.IO &lt;4&gt; &amp; co"],
  );
});
