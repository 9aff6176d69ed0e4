/**
 * The zero-logic Deno server the bench compares Natter on Deno with:
 * `Deno.serve` and WebSockets, rooms, and the fan-out of one string to a
 * room's members, nothing else (see bench/node/rooms.mjs, shared with the
 * Node one). It speaks the subset of Natter's kind-A frames the bench uses
 * (`joinChannel`, `broadcast`, answered by `ack`), with no handshake. With
 * `REDIS_URL`, publishes go through Redis pub/sub, as two instances need.
 *
 * Usage: PORT=0 [REDIS_URL=redis://…] deno run -A bench/raw_deno.ts
 * (prints `listening url=http://127.0.0.1:PORT`)
 *
 * @module
 */
import { createRooms } from "./node/rooms.mjs";

const rooms = createRooms(Deno.env.get("REDIS_URL"));

Deno.serve({
  hostname: "127.0.0.1",
  port: Number(Deno.env.get("PORT") ?? 0),
  onListen: ({ port }) => console.log(`listening url=http://127.0.0.1:${port}`),
}, (request) => {
  if (request.headers.get("upgrade") !== "websocket") return new Response("raw bench server");
  const { socket, response } = Deno.upgradeWebSocket(request);
  const joined = new Set<string>();
  socket.onmessage = ({ data }) => rooms.receive(socket, joined, data);
  socket.onclose = () => rooms.leave(socket, joined);
  return response;
});
