/**
 * The load generator: bench clients (one WebSocket each, speaking a
 * {@linkcode Dialect}), the {@linkcode Meter} they all count into, an
 * open-loop connect ramp and an open-loop publish schedule. Latency is
 * measured from each message's *scheduled* send time, so a server (or a
 * generator) that falls behind shows as latency, not as fewer samples (no
 * coordinated omission).
 *
 * @module
 */
import type { Dialect } from "./wire.ts";

/** The close code Natter uses for a slow consumer (README "Close codes"). */
const SLOW_CONSUMER = 4005;
/** How long a client may take from connecting to its join ack before it counts as failed. */
export const JOIN_TIMEOUT_MS = 30_000;
/** The ref of a client's join; publishes use their sequence numbers (from 1). */
const JOIN_REF = "0";

/** What every client of one scenario counts into. */
export class Meter {
  /** Scheduled send time (performance.now() ms) of each published sequence number. */
  scheduled = new Float64Array(1 << 16);
  deliveries = 0;
  /** Latencies (ms) of deliveries while {@linkcode recording} is on. */
  latencies: number[] = [];
  recording = false;
  /** Bytes and frames that were neither a message nor an ack: presence, handshake, pings. */
  otherBytes = 0;
  otherFrames = 0;
  /** Clients closed by the server as slow consumers (4005). */
  slowConsumerDrops = 0;
  /** Clients closed by the server for any other reason after joining. */
  unexpectedCloses = 0;
  /** Called for each publish ack and refusal, with the ref. */
  onAck: (ref: string, refused: boolean) => void = () => {};

  /** Notes that `seq` is due at `at`. */
  schedule(seq: number, at: number): void {
    if (seq >= this.scheduled.length) {
      const grown = new Float64Array(Math.max(seq + 1, this.scheduled.length * 2));
      grown.set(this.scheduled);
      this.scheduled = grown;
    }
    this.scheduled[seq] = at;
  }

  /** Takes the recorded latencies and starts a new recording. */
  takeLatencies(): number[] {
    const taken = this.latencies;
    this.latencies = [];
    return taken;
  }
}

/** One connected bench client. */
export interface Client {
  socket: WebSocket;
  room: string;
  /** Closes the socket without counting it as unexpected. */
  close(): void;
}

/**
 * Connects `username` to the server at `origin`, waits for its handshake
 * and joins `room`; resolves once the join is acked. Every frame after that
 * counts into `meter`. Rejects if the socket closes or is refused first, or
 * after `timeoutMs` (a close with 4005 counts as a slow-consumer drop too).
 */
export function connect(
  dialect: Dialect,
  origin: string,
  username: string,
  room: string,
  meter: Meter,
  timeoutMs = JOIN_TIMEOUT_MS,
): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(dialect.url(origin, username));
    let joined = false;
    let closing = false;
    const client: Client = {
      socket,
      room,
      close() {
        closing = true;
        socket.close();
      },
    };
    const fail = (reason: string) => {
      clearTimeout(timer);
      if (joined) return;
      joined = true;
      closing = true;
      socket.close();
      reject(new Error(`${username}: ${reason}`));
    };
    const timer = setTimeout(() => fail("no join ack in time"), timeoutMs);
    const join = () => socket.send(dialect.join(room, JOIN_REF));
    if (dialect.readyOnOpen) socket.onopen = join;
    socket.onmessage = ({ data }: MessageEvent<string>) => {
      const frame = dialect.classify(data);
      switch (frame.kind) {
        case "message": {
          meter.deliveries++;
          if (meter.recording) {
            meter.latencies.push(performance.now() - meter.scheduled[frame.seq]);
          }
          return;
        }
        case "ack":
        case "refused":
          if (frame.ref !== JOIN_REF) return meter.onAck(frame.ref, frame.kind === "refused");
          if (frame.kind === "refused") return fail(`join refused: ${data}`);
          if (!joined) {
            joined = true;
            clearTimeout(timer);
            resolve(client);
          }
          return;
        case "reply":
          socket.send(frame.data);
          break;
        case "ready":
          join();
          break;
      }
      meter.otherBytes += data.length;
      meter.otherFrames++;
    };
    socket.onerror = () => fail("socket error");
    socket.onclose = ({ code }) => {
      if (closing) return;
      if (code === SLOW_CONSUMER) meter.slowConsumerDrops++;
      if (!joined) return fail(`closed (${code}) before joining`);
      if (code !== SLOW_CONSUMER) meter.unexpectedCloses++;
    };
  });
}

/** The outcome of a connect ramp. */
export interface Ramp {
  clients: Client[];
  /** From the first connect to the last join ack, ms. */
  connectMs: number;
  failed: number;
}

/**
 * Connects `count` clients at `perSecond` on an open-loop schedule (a slow
 * server does not slow the ramp down), `roomSize` to a room; client `i`
 * (counted from `firstIndex`, default 0) is `${prefix}${i}`, in room
 * `${prefix}-${Math.floor(i / roomSize)}`.
 */
export async function ramp(
  dialect: Dialect,
  origin: string,
  meter: Meter,
  options: {
    count: number;
    perSecond: number;
    roomSize: number;
    prefix: string;
    firstIndex?: number;
  },
): Promise<Ramp> {
  const { count, perSecond, roomSize, prefix, firstIndex = 0 } = options;
  const started = performance.now();
  let lastJoined = started;
  let failed = 0;
  const pending: Promise<Client | undefined>[] = [];
  for (let k = 0; k < count; k++) {
    const i = firstIndex + k;
    const due = started + (k / perSecond) * 1000;
    if (due > performance.now()) await sleep(due - performance.now());
    pending.push(
      connect(dialect, origin, `${prefix}${i}`, `${prefix}-${Math.floor(i / roomSize)}`, meter)
        .then(
          (client) => {
            lastJoined = performance.now();
            return client;
          },
          () => {
            failed++;
            return undefined;
          },
        ),
    );
  }
  const clients = (await Promise.all(pending)).filter((client) => client !== undefined);
  return { clients, connectMs: lastJoined - started, failed };
}

/**
 * Sends publishes on an open-loop schedule: `perSecond` for `durationMs`,
 * round-robin over `publishers`, sequence numbers from `firstSeq`. Returns
 * the next free sequence number.
 */
export async function publishOpenLoop(
  dialect: Dialect,
  meter: Meter,
  publishers: Client[],
  options: { perSecond: number; durationMs: number; firstSeq: number },
): Promise<number> {
  const { perSecond, durationMs, firstSeq } = options;
  const total = Math.round((perSecond * durationMs) / 1000);
  const started = performance.now();
  for (let i = 0; i < total; i++) meter.schedule(firstSeq + i, started + (i / perSecond) * 1000);
  let next = 0;
  while (next < total) {
    const now = performance.now();
    while (next < total && meter.scheduled[firstSeq + next] <= now) {
      const seq = firstSeq + next;
      const publisher = publishers[next % publishers.length];
      if (publisher.socket.readyState === WebSocket.OPEN) {
        publisher.socket.send(dialect.publish(publisher.room, seq, `${seq}`));
      }
      next++;
    }
    if (next < total) await sleep(Math.max(0, meter.scheduled[firstSeq + next] - now));
  }
  return firstSeq + total;
}

/** Resolves once `done()` holds, checking every 20 ms, or after `timeoutMs`; says which. */
export async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/** Closes every client and waits (up to 10 s) until each socket has closed. */
export async function closeAll(clients: Client[]): Promise<void> {
  const closed = clients.map((client) =>
    new Promise<void>((resolve) => {
      if (client.socket.readyState === WebSocket.CLOSED) return resolve();
      client.socket.addEventListener("close", () => resolve());
      client.close();
    })
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all(closed),
    new Promise((resolve) => timer = setTimeout(resolve, 10_000)),
  ]);
  clearTimeout(timer);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
