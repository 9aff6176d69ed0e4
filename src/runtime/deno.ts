/**
 * The Deno edge: `Deno.serve` for HTTP and `Deno.upgradeWebSocket` for `/ws`,
 * each socket mapped onto the core's `Connection`. The only module of the
 * server (with `main.ts`) that touches `Deno.*`.
 *
 * @module
 */
import type { App } from "../app.ts";
import type { Connection } from "../core/connection.ts";

/** Where and how to listen. */
export interface ServeOptions {
  hostname: string;
  port: number;
  /** Aborting it stops accepting and closes the listener. */
  signal?: AbortSignal;
  /** Called once listening, with the bound address. */
  onListen?: (address: { hostname: string; port: number }) => void;
}

/** Serves `app` over HTTP and WebSocket until `options.signal` aborts. */
export function serveDeno(app: App, options: ServeOptions): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({
    hostname: options.hostname,
    port: options.port,
    signal: options.signal,
    onListen: options.onListen ?? (() => {}),
  }, (request, info) => {
    const route = app.route(request, info.remoteAddr.hostname);
    if (route.type === "respond") return route.response;
    const { ticket } = route;
    let upgraded: { socket: WebSocket; response: Response };
    try {
      // Deno pings every idleTimeout and closes a peer that answers no pong.
      upgraded = Deno.upgradeWebSocket(request, {
        idleTimeout: Math.ceil(app.config.idleTimeoutMs / 1000),
      });
    } catch (error) {
      ticket.release();
      const reason = error instanceof Error ? error.message : String(error);
      return new Response(`Bad WebSocket upgrade: ${reason}\n`, { status: 400 });
    }
    const { socket, response } = upgraded;
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      const events = app.chat.accept(toConnection(socket), route.handshake);
      socket.onmessage = (event) => {
        if (typeof event.data === "string") events.text(event.data);
        else events.binary((event.data as ArrayBuffer).byteLength);
      };
      socket.onclose = () => events.closed();
      socket.onerror = () => events.closed();
    };
    // Also when the socket closes before it ever opened.
    socket.addEventListener("close", () => ticket.release());
    return response;
  });
}

function toConnection(socket: WebSocket): Connection {
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
