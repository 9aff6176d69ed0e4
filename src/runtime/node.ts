/**
 * The `ws` edge: `node:http` for HTTP and `ws` (`noServer`, `handleUpgrade`)
 * for `/ws`, each socket mapped onto the core's `Connection`, answering
 * clients exactly as the Deno edge does. It is the edge of the Node
 * distribution, and Deno can run it too (`EDGE=ws`): `ws` enforces
 * `maxPayload` across a message's fragments and caps their number, so an
 * oversized message is refused while it arrives instead of after it was
 * buffered whole.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import { Buffer } from "node:buffer";
import type { Duplex } from "node:stream";
// @ts-types="npm:@types/ws@8.18.2"
import { type WebSocket, WebSocketServer } from "ws";
import { type App, type Route, unreadableRequest } from "../app.ts";
import type { Ticket } from "../core/admission.ts";
import type { Connection } from "../core/connection.ts";
import type { Edge } from "../server.ts";

/** Most fragments one message may come in. */
const MAX_FRAGMENTS = 64;
/**
 * The smallest average network read a legitimate frame may arrive in: `ws`
 * counts the reads it buffers, so this bounds their number by the frame size.
 */
const MIN_AVERAGE_READ_BYTES = 64;
/** Why an idle client is closed, as Deno's edge says it. */
const IDLE_REASON = "No response from ping frame.";

/** Serves `app` with `node:http` and `ws`; closing the listener also drops remaining sockets. */
export const serveNode: Edge = async (app, options) => {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: app.config.maxFrameBytes,
    maxFragments: MAX_FRAGMENTS,
    maxBufferedChunks: Math.ceil(app.config.maxFrameBytes / MIN_AVERAGE_READ_BYTES) +
      MAX_FRAGMENTS,
    perMessageDeflate: false,
    // Natter speaks no subprotocol: select none, as Deno does, whatever the client offers.
    handleProtocols: () => false,
  });
  const alive = new WeakMap<WebSocket, boolean>();
  /** Clients dropped for idling: their close is reported as the 1001 they were told. */
  const idled = new WeakSet<WebSocket>();
  const tickets = new WeakMap<IncomingMessage, Ticket>();

  // Node ends the process on an exception escaping a listener: each handler answers its own faults.
  const server = createServer((req, res) => {
    answer(app, req, res).catch((error) => {
      app.log.error("http.request_failed", { error });
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      res.end("Internal server error\n");
    });
  });

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    try {
      upgrade(req, socket, head);
    } catch (error) {
      app.log.error("ws.upgrade_failed", { error });
      socket.destroy();
    }
  });

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const route = routeOf(app, req);
    if (route.type === "respond") {
      writeRaw(socket, route.response);
      return;
    }
    // The place is held for as long as the socket lives, whether the upgrade succeeds or not.
    socket.once("close", () => route.ticket.release());
    tickets.set(req, route.ticket);
    wss.handleUpgrade(req, socket, head, (ws) => {
      alive.set(ws, true);
      const events = app.chat.accept(toConnection(ws), route.handshake);
      ws.on("message", (data: Buffer, isBinary: boolean) => {
        // Any frame is a sign of life, as on Deno's edge: seed A's clients send pings as JSON.
        alive.set(ws, true);
        if (isBinary) events.binary(data.length);
        else events.text(data.toString("utf8"));
      });
      ws.on("pong", () => alive.set(ws, true));
      // An idle client was told 1001 before being dropped; the drop itself reports 1006.
      ws.on("close", (code) => events.closed(idled.has(ws) ? IDLE_CLOSE : code));
      // ws closes the socket itself on protocol errors (1009 for maxPayload, 1008 for fragments).
      ws.on("error", () => {});
    });
  }

  // An invalid handshake is answered as the Deno edge answers it, its place freed first.
  wss.on("wsClientError", (error: Error, socket: Duplex, req: IncomingMessage) => {
    tickets.get(req)?.release();
    app.refusalLog.debug("http.refused", {
      status: 400,
      reason: error.message,
      peer: req.socket.remoteAddress,
    });
    writeRaw(socket, badUpgrade(error.message));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname, () => {
      server.off("error", reject);
      resolve();
    });
  });

  // A client that answered no ping within one interval is gone: say so (1001), then drop it.
  const pings = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.get(ws)) {
        idled.add(ws);
        ws.close(IDLE_CLOSE, IDLE_REASON);
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, app.config.idleTimeoutMs);

  const { port } = server.address() as { port: number };
  options.onListen?.({ hostname: options.hostname, port });
  return {
    port,
    async close() {
      clearInterval(pings);
      // The app closed its sockets (1012): their closing handshakes finish before the rest go.
      await allClosed(wss.clients, CLOSE_WAIT_MS);
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Half-sent and keep-alive requests would otherwise hold the shutdown open.
      server.closeAllConnections();
      await closed;
    },
  };
};

/** How long a listener's close waits for the closing handshakes the app started. */
const CLOSE_WAIT_MS = 2_000;

/** The close code an idle client is told before it is dropped. */
const IDLE_CLOSE = 1001;

/** Resolves once every one of `sockets` has closed, or after `ms`. */
function allClosed(sockets: Set<WebSocket>, ms: number): Promise<void> {
  const open = [...sockets].filter((ws) => ws.readyState !== ws.CLOSED);
  if (open.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    let left = open.length;
    const timer = setTimeout(done, ms);
    function closed() {
      if (--left === 0) done();
    }
    function done() {
      clearTimeout(timer);
      for (const ws of open) ws.off("close", closed);
      resolve();
    }
    for (const ws of open) ws.once("close", closed);
  });
}

/** Answers a plain HTTP request, one without a WebSocket handshake. */
async function answer(app: App, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const route = routeOf(app, req);
  let response: Response;
  if (route.type === "respond") response = await route.response;
  else {
    // The app admits only requests with `Connection: Upgrade`, which Node's parser upgrades too;
    // should the two ever disagree, the place is freed and the client told.
    route.ticket.release();
    response = badUpgrade("the request was not upgraded");
  }
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, {
    ...Object.fromEntries(response.headers),
    "content-length": body.length,
    // A body refused unread (a 401, a 413) is not drained: the caller could send it forever.
    ...(req.complete ? {} : { connection: "close" }),
  });
  res.end(body);
}

function badUpgrade(reason: string): Response {
  return new Response(`Bad WebSocket upgrade: ${reason}\n`, {
    status: 400,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/** What the app says to do with `req`; one whose URL cannot even be built gets 400, as on Deno. */
function routeOf(app: App, req: IncomingMessage): Route {
  let request: Request;
  try {
    request = toRequest(req);
  } catch {
    app.refusalLog.debug("http.refused", {
      status: 400,
      reason: "unreadable URL",
      peer: req.socket.remoteAddress,
    });
    return unreadableRequest();
  }
  return app.route(request, req.socket.remoteAddress ?? "");
}

function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  // The target is a path, or an absolute URL (absolute-form), taken as it is.
  const target = req.url ?? "/";
  const url = target.startsWith("/")
    ? `http://${req.headers.host ?? "localhost"}${target}`
    : target;
  const method = req.method ?? "GET";
  if (method === "GET" || method === "HEAD") return new Request(url, { method, headers });
  return new Request(url, { method, headers, body: bodyOf(req), duplex: "half" } as RequestInit);
}

/**
 * A request's body as a stream read on demand, a chunk per read. A body
 * nobody reads is left to Node, which drains it once the answer is sent; a
 * reader that stops early (a body over the limit) drains the rest, so the
 * answer still goes out on the connection.
 */
function bodyOf(req: IncomingMessage): ReadableStream<Uint8Array> {
  let reading = false;
  let open = true;
  return new ReadableStream({
    pull(controller) {
      if (!reading) {
        reading = true;
        req.on("data", (chunk: Buffer) => {
          if (!open) return;
          controller.enqueue(new Uint8Array(chunk));
          req.pause();
        });
        req.on("end", () => open && controller.close());
        req.on("error", (error) => open && controller.error(error));
      }
      req.resume();
    },
    cancel() {
      open = false;
      req.resume();
    },
  }, { highWaterMark: 0 });
}

/** Writes `response` on a socket that has no HTTP response object (an upgrade request's). */
function writeRaw(socket: Duplex, answer: Response | Promise<Response>): void {
  Promise.resolve(answer).then(async (response) => {
    const body = await response.arrayBuffer();
    const status = `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ""}`;
    const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`);
    const head = [status, ...headers, `content-length: ${body.byteLength}`, "", ""].join("\r\n");
    socket.end(Buffer.concat([Buffer.from(head), Buffer.from(body)]));
  }, () => socket.destroy());
}

function toConnection(ws: WebSocket): Connection {
  return {
    send(text) {
      // The Connection contract: sending never throws, whatever state the socket is in.
      if (ws.readyState === ws.OPEN) ws.send(text);
    },
    close(code, reason) {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
  };
}
