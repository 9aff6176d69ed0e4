/**
 * A WebSocket test client: connects for real, checks every frame it receives
 * against the outbound schemas of its client kind, and lets a test wait for
 * frames with a generous deadline instead of sleeping.
 *
 * @module
 */
import { ServerFrameA, ServerFrameB } from "../../src/protocol/frames.ts";

/** A received frame, loosely typed: tests read the keys they care about. */
export interface Frame {
  type?: string;
  to?: string;
  from?: string;
  sessionID?: string;
  message?: string;
  id?: string;
  ts?: number;
  ref?: string;
  code?: string;
  username?: string;
  token?: string;
  unread?: number;
  replay?: boolean;
  live?: boolean;
  sender?: string;
  text?: string;
  replyTo?: string;
  data?: Record<string, unknown>;
  event?: string;
  role?: string;
  invited?: string[];
  target?: string;
  direct?: boolean;
  emoji?: string;
  added?: boolean;
  count?: number;
  edited?: number;
  deleted?: boolean;
  reactions?: { emoji: string; count: number; mine?: boolean }[];
  with?: string;
  mentions?: number;
  channels?: unknown[];
  conversations?: unknown[];
}

/** How the socket closed. */
export interface Closed {
  code: number;
  reason: string;
}

/** A connected test client. */
export interface TestClient extends AsyncDisposable {
  socket: WebSocket;
  /** Every frame received so far, in order, including those already taken. */
  readonly received: Frame[];
  /** When each frame of `received` arrived (`performance.now()`). */
  readonly arrivals: number[];
  /** Sends `frame` as JSON, or as is when it is a string or bytes. */
  send(frame: unknown): void;
  /** Takes the first untaken frame matching `match`, waiting for it up to `timeoutMs`. */
  take(match?: Match, timeoutMs?: number): Promise<Frame>;
  /** Waits until some frame matching `match` has arrived, taken or not; does not take it. */
  seen(match: Match, timeoutMs?: number): Promise<Frame>;
  /** Takes `count` frames matching `match`, in order. */
  takeMany(count: number, match?: Match, timeoutMs?: number): Promise<Frame[]>;
  /** From now on, drops frames matching `match` on arrival (and those already untaken). */
  discard(match: Match): void;
  /** Untaken frames matching `match`, without taking them. */
  pending(match?: Match): Frame[];
  /** Resolves when the socket has closed. */
  readonly closed: Promise<Closed>;
  /** Closes the socket and waits until it has. */
  close(): Promise<void>;
}

/** A predicate, or the key-values a frame must have. */
export type Match = ((frame: Frame) => boolean) | Partial<Frame>;

/** Generous default deadline: tests wait for events, never for time. */
export const DEADLINE_MS = 10_000;

/** Connects a client of `kind` to `url` and waits until the socket is open. */
export async function connect(url: string, kind: "A" | "B" = "A"): Promise<TestClient> {
  const socket = new WebSocket(url);
  const schema = kind === "A" ? ServerFrameA : ServerFrameB;
  const received: Frame[] = [];
  const arrivals: number[] = [];
  const untaken: Frame[] = [];
  const waiters = new Set<() => void>();
  const closed = new Promise<Closed>((resolve) => {
    socket.onclose = (event) => {
      resolve({ code: event.code, reason: event.reason });
      for (const wake of waiters) wake();
    };
  });
  let violation: Error | undefined;
  let discarded: ((frame: Frame) => boolean) | undefined;
  socket.onmessage = (event) => {
    const frame = JSON.parse(event.data) as Frame;
    if (discarded?.(frame)) return;
    const checked = schema.safeParse(frame);
    if (!checked.success) {
      violation ??= new Error(
        `Frame breaks the kind-${kind} contract: ${event.data}\n${checked.error.message}`,
      );
    }
    received.push(frame);
    arrivals.push(performance.now());
    untaken.push(frame);
    for (const wake of waiters) wake();
  };
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error(`Cannot connect to ${url}`));
  });
  socket.onerror = () => {};
  let closedWith: Closed | undefined;
  closed.then((how) => closedWith = how);

  const matches = (match: Match | undefined) => (frame: Frame) => {
    if (match === undefined) return true;
    if (typeof match === "function") return match(frame);
    return Object.entries(match).every(([key, value]) =>
      (frame as Record<string, unknown>)[key] === value
    );
  };

  function take(match?: Match, timeoutMs = DEADLINE_MS): Promise<Frame> {
    return waitFor(match, timeoutMs, (test) => {
      const index = untaken.findIndex(test);
      return index >= 0 ? untaken.splice(index, 1)[0] : undefined;
    });
  }

  function seen(match: Match, timeoutMs = DEADLINE_MS): Promise<Frame> {
    return waitFor(match, timeoutMs, (test) => received.find(test));
  }

  async function waitFor(
    match: Match | undefined,
    timeoutMs: number,
    find: (test: (frame: Frame) => boolean) => Frame | undefined,
  ): Promise<Frame> {
    const test = matches(match);
    const deadline = Date.now() + timeoutMs;
    while (true) {
      if (violation) throw violation;
      const found = find(test);
      if (found) return found;
      if (closedWith) {
        // The close code and the last frames say why: a flake is then diagnosed from its log.
        throw new Error(
          `Socket closed (${closedWith.code} ${closedWith.reason}) before a frame matching ${
            describe(match)
          } arrived; last frames: ${JSON.stringify(received.slice(-5)).slice(0, 1000)}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `No frame matching ${describe(match)} within ${timeoutMs} ms; untaken: ${
            JSON.stringify(untaken).slice(0, 2000)
          }`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done() {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  }

  return {
    socket,
    received,
    arrivals,
    send(frame) {
      socket.send(
        typeof frame === "string" || frame instanceof Uint8Array ? frame : JSON.stringify(frame),
      );
    },
    take,
    seen,
    async takeMany(count, match, timeoutMs) {
      const frames: Frame[] = [];
      for (let i = 0; i < count; i++) frames.push(await take(match, timeoutMs));
      return frames;
    },
    pending: (match) => untaken.filter(matches(match)),
    discard(match) {
      discarded = matches(match);
      for (let i = untaken.length - 1; i >= 0; i--) {
        if (discarded(untaken[i])) untaken.splice(i, 1);
      }
    },
    closed,
    async close() {
      if (socket.readyState < WebSocket.CLOSING) socket.close();
      await closed;
      if (violation) throw violation;
    },
    async [Symbol.asyncDispose]() {
      if (socket.readyState < WebSocket.CLOSING) socket.close();
      await closed;
    },
  };
}

function describe(match: Match | undefined): string {
  if (match === undefined) return "anything";
  return typeof match === "function" ? "the predicate" : JSON.stringify(match);
}

/** Connects a kind-A client as `username` and takes its three handshake frames. */
export async function joinA(
  ws: string,
  username: string,
  token?: string,
  since?: string,
): Promise<TestClient & { session: Frame }> {
  const query = new URLSearchParams({
    username,
    ...(token ? { token } : {}),
    ...(since ? { since } : {}),
  });
  const client = await connect(`${ws}?${query}`, "A");
  const session = await client.take({ type: "sessionID" });
  await client.take({ type: "userList" });
  await client.take({ type: "channelList" });
  return Object.assign(client, { session });
}

/** Connects a kind-B client and registers `name`, taking its own "joined" announcement. */
export async function joinB(ws: string, name: string): Promise<TestClient> {
  const client = await connect(ws, "B");
  client.send({ sender: name, text: "" });
  await client.take({ sender: "Server", text: `${name} has joined the chat` });
  return client;
}

/** Parses the JSON-encoded name list a `userList` or `channelList` frame carries. */
export function names(frame: Frame): string[] {
  return JSON.parse(frame.message ?? "[]");
}

/** Joins `channel` (resuming after `since` if given) and waits for the ack. */
export async function joinChannel(
  client: TestClient,
  channel: string,
  since?: string,
): Promise<void> {
  const ref = `join-${channel}-${since ?? "now"}`;
  client.send({ type: "joinChannel", to: channel, ref, ...(since ? { since } : {}) });
  await client.take({ type: "ack", ref });
}

/** Sends `frame` with `ref` and returns the answer to it (its ack or error). */
export async function ask(
  client: TestClient,
  frame: Record<string, unknown>,
  ref: string,
): Promise<Frame> {
  client.send({ ...frame, ref });
  return await client.take({ ref });
}
