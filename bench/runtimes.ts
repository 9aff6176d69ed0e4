/**
 * Runtime comparison: the same Natter server on Deno (`main.ts`, default
 * edge), on Deno with `EDGE=ws` (the Node edge code under Deno) and on Node
 * (the `dist/node/` build, made by `deno task build:node`), measured side by
 * side in one run:
 *
 * - cold start: process spawn to the first `sessionID` frame of a WebSocket
 *   that keeps retrying (every ~2 ms) until the server accepts it;
 * - fan-out on the embedded broker: `receivers` kind-A clients in one
 *   channel, one publisher sending `messages` broadcasts with at most
 *   `window` un-acked. Reports deliveries per second, delivery latency,
 *   the server's CPU time per delivery and its memory per connection.
 *
 * Each round measures every runtime once, so machine noise hits them alike;
 * the table shows each runtime's medians over the rounds.
 *
 * Usage (`deno task bench` runs the same; both build `dist/node/` first):
 *
 *     deno task bench:runtimes [receivers=500] [messages=200] [rounds=3] [starts=10] [window=16]
 *
 * @module
 */
import { natterCommand, type Runtime } from "../tests/support/runtimes.ts";
import { rssMiB, startMain } from "../tests/support/process.ts";

/** One way of running the server. */
interface Variant {
  label: string;
  runtime: Runtime;
  env: Record<string, string>;
}

/** What one round measured for one variant. */
interface Result {
  coldMs: { min: number; median: number; max: number };
  deliveriesPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  cpuMicrosPerDelivery: number;
  kibPerConnection: number;
}

const VARIANTS: Variant[] = [
  { label: "deno", runtime: "deno", env: {} },
  { label: "deno EDGE=ws", runtime: "deno", env: { EDGE: "ws" } },
  { label: "node", runtime: "node", env: {} },
];

const receivers = positiveArg(0, 500);
const messages = positiveArg(1, 200);
const rounds = positiveArg(2, 3);
const starts = positiveArg(3, 10);
const window = positiveArg(4, 16);
/** Receivers that parse frames for latency; the others only count, keeping client CPU low. */
const SAMPLED = Math.min(20, receivers);
/** Connects at once: enough to be quick, few enough not to overflow the accept backlog. */
const CONNECT_BATCH = 50;
const CHANNEL = "bench";
const TIMEOUT_MS = 120_000;
const CLK_TCK = Number(await firstLine("getconf", ["CLK_TCK"])) || 100;

function positiveArg(index: number, fallback: number): number {
  const value = Number(Deno.args[index] ?? fallback);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`Argument ${index + 1} must be a positive integer (got ${Deno.args[index]})`);
  }
  return value;
}

/** The first line `program args` prints. */
async function firstLine(program: string, args: string[]): Promise<string> {
  const { stdout } = await new Deno.Command(program, { args, stderr: "null" }).output();
  return new TextDecoder().decode(stdout).split("\n")[0].trim();
}

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Nearest-rank percentile of ascending `sorted`. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with `message()` if `promise` has not settled within `TIMEOUT_MS`. */
async function withTimeout<T>(promise: Promise<T>, message: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A port nothing listens on right now. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** CPU time (user + system, all threads) process `pid` has used so far, in µs. */
async function cpuMicros(pid: number): Promise<number> {
  // Through `cat`: Deno grants reading /proc/PID only with --allow-all.
  const { stdout } = await new Deno.Command("cat", { args: [`/proc/${pid}/stat`] }).output();
  const stat = new TextDecoder().decode(stdout);
  // The command name (field 2) may contain spaces: count fields after its ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 1e6 / CLK_TCK;
}

// ---------------------------------------------------------------- cold start

/** One connection attempt: when its `sessionID` frame came, or undefined if it failed. */
function attempt(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    let accepted: number | undefined;
    socket.onmessage = (event) => {
      if (accepted !== undefined || !event.data.startsWith('{"type":"sessionID"')) return;
      accepted = performance.now();
      socket.close();
    };
    // A failed socket fires close after error too: resolving on close leaves nothing open.
    socket.onclose = () => resolve(accepted);
  });
}

/** Retries connecting to `url` until the server accepts; fails if `child` exits first. */
async function firstAccepted(url: string, child: Deno.ChildProcess): Promise<number> {
  let exited: Deno.CommandStatus | undefined;
  child.status.then((status) => exited = status);
  const deadline = performance.now() + TIMEOUT_MS;
  while (true) {
    const accepted = await attempt(url);
    if (accepted !== undefined) return accepted;
    if (exited) throw new Error(`The server exited with ${exited.code} before accepting`);
    if (performance.now() > deadline) throw new Error(`The server never accepted ${url}`);
    await delay(2);
  }
}

/** Milliseconds from spawning `variant` to its first accepted WebSocket. */
async function coldStart(variant: Variant): Promise<number> {
  // Resolved before the clock starts: for Node it runs `npm install` once.
  const [program, args] = await natterCommand(variant.runtime);
  const port = freePort();
  const spawned = performance.now();
  const child = new Deno.Command(program, {
    args,
    env: { HOST: "127.0.0.1", PORT: `${port}`, LOG_LEVEL: "warn", ...variant.env },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  try {
    return await firstAccepted(`ws://127.0.0.1:${port}/ws?username=probe`, child) - spawned;
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await child.status;
  }
}

// ------------------------------------------------------------------- fan-out

/** Deliveries seen by every receiver, and the latencies the sampled ones measured. */
class Tally {
  delivered = 0;
  lastDelivery = 0;
  readonly latencies: number[] = [];
  readonly complete: Promise<void>;
  #resolve = () => {};

  constructor(readonly target: number) {
    this.complete = new Promise((resolve) => this.#resolve = resolve);
  }

  /** A receiver's frame handler; `sampled` receivers also measure latency. */
  receiver(sampled: boolean): (event: MessageEvent<string>) => void {
    return ({ data }) => {
      // A string test, not JSON.parse: the bench client must not be the bottleneck.
      if (!data.startsWith('{"type":"broadcast"')) return;
      const now = performance.now();
      if (sampled) this.latencies.push(now - Number(JSON.parse(data).message));
      if (++this.delivered === this.target) {
        this.lastDelivery = now;
        this.#resolve();
      }
    };
  }
}

/**
 * Connects `username` as a kind-A client and joins the bench channel; once
 * acked, its frames go to `then`.
 */
function joinBench(
  ws: string,
  username: string,
  then: (event: MessageEvent<string>) => void,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${ws}?username=${username}`);
    socket.onmessage = ({ data }) => {
      // The handshake (sessionID, userList, channelList) comes first: join after it starts.
      if (data.startsWith('{"type":"sessionID"')) {
        socket.send(JSON.stringify({ type: "joinChannel", to: CHANNEL, ref: "j" }));
      } else if (data.startsWith('{"type":"ack"') && JSON.parse(data).ref === "j") {
        socket.onmessage = then;
        resolve(socket);
      } else if (data.startsWith('{"type":"error"')) {
        reject(new Error(`${username} could not join: ${data}`));
      }
    };
    socket.onclose = ({ code }) => reject(new Error(`${username} closed (${code}) while joining`));
  });
}

/** Connects `count` receivers in batches, each counting into `tally`. */
async function connectReceivers(ws: string, count: number, tally: Tally): Promise<WebSocket[]> {
  // Evenly spread over join order, since delivery order may follow it.
  const stride = Math.ceil(count / SAMPLED);
  const sockets: WebSocket[] = [];
  for (let first = 0; first < count; first += CONNECT_BATCH) {
    const batch = Array.from(
      { length: Math.min(CONNECT_BATCH, count - first) },
      (_, k) => first + k,
    );
    sockets.push(
      ...await Promise.all(
        batch.map((i) => joinBench(ws, `r${i}`, tally.receiver(i % stride === 0))),
      ),
    );
  }
  return sockets;
}

/**
 * Sends the broadcasts with at most `window` un-acked and waits for every
 * ack; returns when the first was sent. Each carries its send time.
 */
async function publish(socket: WebSocket): Promise<number> {
  const unacked = new Set<string>();
  let failure: string | undefined;
  let wake = () => {};
  socket.onmessage = ({ data }) => {
    if (data.startsWith('{"type":"ack"')) unacked.delete(JSON.parse(data).ref);
    else if (data.startsWith('{"type":"error"')) failure = data;
    else return;
    wake();
  };
  const until = async (ready: () => boolean) => {
    while (!ready() && failure === undefined) await new Promise<void>((r) => wake = r);
    if (failure !== undefined) throw new Error(`The publisher got ${failure}`);
  };
  const started = performance.now();
  for (let i = 0; i < messages; i++) {
    await until(() => unacked.size < window);
    const message = `${performance.now()}`;
    socket.send(JSON.stringify({ type: "broadcast", to: CHANNEL, message, ref: `${i}` }));
    unacked.add(`${i}`);
  }
  await until(() => unacked.size === 0);
  return started;
}

/** Closes every socket and waits until each has closed. */
async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(sockets.map((socket) =>
    new Promise<void>((resolve) => {
      if (socket.readyState === WebSocket.CLOSED) return resolve();
      socket.onclose = () => resolve();
      socket.close();
    })
  ));
}

/** Runs the fan-out on a fresh server of `variant`. */
async function fanOut(variant: Variant): Promise<Omit<Result, "coldMs">> {
  const limit = `${receivers + 10}`;
  await using natter = await startMain({
    LOG_LEVEL: "warn",
    // Every bench client comes from 127.0.0.1.
    MAX_CONNECTIONS: limit,
    MAX_CONNECTIONS_PER_IP: limit,
    RATE_MESSAGES_PER_SECOND: "1000000",
    RATE_BURST: "1000000",
    CHANNEL_CREATIONS_PER_MINUTE: "1000000",
    // No list updates during the run: they would be frames the fan-out did not ask for.
    LIST_UPDATE_INTERVAL_MS: "60000",
    ...variant.env,
  }, variant.runtime);
  const pid = natter.child.pid;
  const tally = new Tally(receivers * messages);
  const sockets: WebSocket[] = [];
  try {
    // The publisher joins first, so the baseline already includes the code paths a join warms.
    const publisher = await joinBench(natter.ws, "pub", () => {});
    sockets.push(publisher);
    const rssBefore = await rssMiB(pid);
    sockets.push(...await connectReceivers(natter.ws, receivers, tally));
    const rssAfter = await rssMiB(pid);
    const cpuBefore = await cpuMicros(pid);
    const published = async () => {
      const started = await publish(publisher);
      await tally.complete;
      return started;
    };
    const started = await withTimeout(
      published(),
      () => `${variant.label}: only ${tally.delivered} of ${tally.target} delivered in time`,
    );
    const cpuAfter = await cpuMicros(pid);
    const latencies = tally.latencies.toSorted((a, b) => a - b);
    return {
      deliveriesPerSecond: tally.target / ((tally.lastDelivery - started) / 1000),
      latencyMs: {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies[latencies.length - 1],
      },
      cpuMicrosPerDelivery: (cpuAfter - cpuBefore) / tally.target,
      kibPerConnection: (rssAfter - rssBefore) * 1024 / receivers,
    };
  } finally {
    await closeAll(sockets);
  }
}

// -------------------------------------------------------------------- report

/** Cold starts then fan-out, for one variant in one round. */
async function measure(variant: Variant): Promise<Result> {
  const runs: number[] = [];
  for (let i = 0; i < starts; i++) runs.push(await coldStart(variant));
  const coldMs = { min: Math.min(...runs), median: median(runs), max: Math.max(...runs) };
  return { coldMs, ...await fanOut(variant) };
}

/** A table row named `label`: the median of each value over `results`. */
function row(label: string, results: Result[]): string {
  const mid = (pick: (result: Result) => number) => median(results.map(pick));
  const cells = [
    label,
    [mid((r) => r.coldMs.min), mid((r) => r.coldMs.median), mid((r) => r.coldMs.max)]
      .map((ms) => ms.toFixed(0)).join(" / "),
    mid((r) => r.deliveriesPerSecond).toFixed(0),
    [mid((r) => r.latencyMs.p50), mid((r) => r.latencyMs.p99), mid((r) => r.latencyMs.max)]
      .map((ms) => ms.toFixed(1)).join(" / "),
    mid((r) => r.cpuMicrosPerDelivery).toFixed(2),
    mid((r) => r.kibPerConnection).toFixed(1),
  ];
  return `| ${cells.join(" | ")} |`;
}

console.log(`# Natter runtimes

- ${await firstLine(Deno.execPath(), ["--version"])}
- node ${await firstLine("node", ["--version"])}
- ${rounds} round(s), each measuring every runtime once; values are medians over the rounds
- cold start: ${starts} spawns per round, spawn to first \`sessionID\` frame (min / median / max)
- fan-out: ${receivers} receivers × ${messages} broadcasts = ${receivers * messages} deliveries \
per round, window ${window} un-acked, latency sampled on ${SAMPLED} receivers, CLK_TCK ${CLK_TCK}
`);

const results = new Map<Variant, Result[]>(VARIANTS.map((variant) => [variant, []]));
for (let round = 0; round < rounds; round++) {
  // Rotate the order, so no runtime always runs right after the same one.
  const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]);
  for (const variant of order) {
    const result = await measure(variant);
    results.get(variant)!.push(result);
    // Progress on stderr, so stdout stays the report.
    console.error(row(`${variant.label}, round ${round + 1} of ${rounds}`, [result]));
  }
}

console.log(
  `| runtime | cold start ms (min / median / max) | deliveries/s | latency ms (p50 / p99 / max) | server CPU µs/delivery | KiB/connection |
| --- | --- | --- | --- | --- | --- |
${VARIANTS.map((variant) => row(variant.label, results.get(variant)!)).join("\n")}`,
);
