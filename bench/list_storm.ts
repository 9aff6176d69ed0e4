/**
 * Connect storm: N kind-A clients connect within a few seconds to a real
 * `main.ts` process and stay until every one has seen the full user list.
 * Reports the list frames received (coalesced: about N per interval, where
 * one list per event would be N²/2), bytes, and the server's memory.
 *
 * Usage: deno task bench:storm [clients=5000] [seconds=10]
 *
 * @module
 */
import { rssMiB, startMain } from "../tests/support/process.ts";

const clients = Number(Deno.args[0] ?? 5000);
const seconds = Number(Deno.args[1] ?? 10);
const intervalMs = 1000;

await using natter = await startMain({
  LOG_LEVEL: "warn",
  LIST_UPDATE_INTERVAL_MS: `${intervalMs}`,
  // Every bench client comes from 127.0.0.1.
  MAX_CONNECTIONS_PER_IP: `${clients + 10}`,
});
let listFrames = 0;
let listBytes = 0;
let otherFrames = 0;
const complete = new Set<number>();
let allComplete = () => {};
const done = new Promise<void>((resolve) => allComplete = resolve);
const sockets: WebSocket[] = [];
const everyone = Array.from({ length: clients }, (_, i) => `u${i}`).sort();
const fullUserList = JSON.stringify({
  type: "userList",
  to: "",
  from: "",
  sessionID: "",
  message: JSON.stringify(everyone),
});

const started = performance.now();
for (let i = 0; i < clients; i++) {
  const socket = new WebSocket(`${natter.ws}?username=u${i}`);
  socket.onmessage = (event) => {
    const data: string = event.data;
    // Compare strings instead of parsing: the bench client must not be the bottleneck.
    if (!data.startsWith('{"type":"userList"') && !data.startsWith('{"type":"channelList"')) {
      otherFrames++;
      return;
    }
    listFrames++;
    listBytes += data.length;
    if (data === fullUserList) {
      complete.add(i);
      if (complete.size === clients) allComplete();
    }
  };
  sockets.push(socket);
  // Spread the connects evenly over the window.
  const due = started + ((i + 1) / clients) * seconds * 1000;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
const connectedMs = performance.now() - started;
await done;
const settledMs = performance.now() - started;
const rss = +(await rssMiB(natter.child.pid)).toFixed(1);
for (const socket of sockets) socket.close();

console.log(JSON.stringify(
  {
    clients,
    connectWindowMs: Math.round(connectedMs),
    allSeeAllMs: Math.round(settledMs),
    listFrames,
    listFramesPerClient: +(listFrames / clients).toFixed(2),
    listMiB: +(listBytes / 2 ** 20).toFixed(1),
    withoutCoalescingWouldBe: clients * (clients + 1) / 2 + clients,
    otherFrames,
    serverRssMiB: rss,
  },
  null,
  2,
));
