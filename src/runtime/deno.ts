/**
 * The Deno edge: `Deno.serve` for HTTP and `Deno.upgradeWebSocket` for `/ws`,
 * each socket mapped onto the core's `Connection`. With `main.ts`, the only
 * code of the server that touches `Deno.*`.
 *
 * @module
 */
import type { App } from "../app.ts";
import type { Connection } from "../core/connection.ts";
import type { Edge } from "../server.ts";

/**
 * Serves `app` with `Deno.serve`. Closing the listener stops accepting, once
 * the sockets the app closed have finished their closing handshakes (for at
 * most `CLOSE_WAIT_MS`): `Deno.serve`'s own shutdown would close them with
 * 1001 first, and clients must see the app's close code (1012).
 */
export const serveDeno: Edge = (app, options) => {
  const sockets = new Set<WebSocket>();
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    onListen: options.onListen ?? (() => {}),
  }, denoHandler(app, Deno.upgradeWebSocket, sockets));
  return Promise.resolve({
    port: server.addr.port,
    async close() {
      await allClosed(sockets, CLOSE_WAIT_MS);
      await server.shutdown();
    },
  });
};

/** How long a listener's close waits for the closing handshakes the app started. */
const CLOSE_WAIT_MS = 2_000;

/** Resolves once every socket of `sockets` has closed, or after `ms`. */
function allClosed(sockets: Set<WebSocket>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function check() {
      if (sockets.size === 0) done();
    }
    function done() {
      clearTimeout(timer);
      for (const socket of sockets) socket.removeEventListener("close", check);
      resolve();
    }
    for (const socket of sockets) socket.addEventListener("close", check);
    check();
  });
}

/** How a request becomes a WebSocket: `Deno.upgradeWebSocket`, or a stand-in in tests. */
export type Upgrade = (
  request: Request,
  options: { idleTimeout: number },
) => { socket: WebSocket; response: Response };

/**
 * The request handler `serveDeno` gives `Deno.serve`: routes each request
 * through the app and maps an upgraded socket's events onto the core.
 */
export function denoHandler(
  app: App,
  upgrade: Upgrade = Deno.upgradeWebSocket,
  /** The sockets open now, kept up to date for the listener's close. */
  sockets: Set<WebSocket> = new Set(),
): (request: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response> {
  return (request, info) => {
    const route = app.route(request, info.remoteAddr.hostname);
    if (route.type === "respond") return route.response;
    const { ticket } = route;
    let upgraded: { socket: WebSocket; response: Response };
    try {
      // Deno pings every idleTimeout and closes a peer that answers no pong.
      upgraded = upgrade(request, { idleTimeout: Math.ceil(app.config.idleTimeoutMs / 1000) });
    } catch (error) {
      ticket.release();
      const reason = error instanceof Error ? error.message : String(error);
      app.refusalLog.debug("http.refused", {
        status: 400,
        reason,
        peer: info.remoteAddr.hostname,
      });
      return new Response(`Bad WebSocket upgrade: ${reason}\n`, { status: 400 });
    }
    const { socket, response } = upgraded;
    socket.binaryType = "arraybuffer";
    sockets.add(socket);
    socket.addEventListener("close", () => sockets.delete(socket));
    socket.onopen = () => {
      const events = app.chat.accept(toConnection(socket), route.handshake);
      socket.onmessage = (event) => {
        if (typeof event.data === "string") events.text(event.data);
        else events.binary((event.data as ArrayBuffer).byteLength);
      };
      socket.onclose = (event) => events.closed(event.code);
      socket.onerror = () => events.closed();
    };
    // Also when the socket closes before it ever opened.
    socket.addEventListener("close", () => ticket.release());
    return response;
  };
}

/** The core's view of one Deno WebSocket: sends and closes that never throw, whatever its state. */
export function toConnection(socket: WebSocket): Connection {
  return {
    send(text) {
      // The Connection contract: sending never throws, whatever state the socket is in.
      if (socket.readyState !== WebSocket.OPEN) return;
      try {
        socket.send(text);
      } catch {
        // The socket closed under us; its close event tears the session down.
      }
    },
    close(code, reason) {
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) {
        socket.close(code, reason);
      }
    },
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
  };
}
