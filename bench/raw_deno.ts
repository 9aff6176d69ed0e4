/**
 * The zero-logic Deno server the bench compares Natter on Deno with:
 * `Deno.serve` and WebSockets, rooms, and the fan-out of one string to a
 * room's members, nothing else. It speaks the subset of Natter's kind-A
 * frames the bench uses (`joinChannel`, `broadcast`, answered by `ack`),
 * with no handshake. With `REDIS_URL`, publishes go through Redis pub/sub
 * (one channel per room, subscribed while the room has local members), as
 * two instances need.
 *
 * Usage: PORT=0 [REDIS_URL=redis://…] deno run -A bench/raw_deno.ts
 * (prints `listening url=http://127.0.0.1:PORT`)
 *
 * @module
 */
import { Redis } from "ioredis";

const rooms = new Map<string, Set<WebSocket>>();
const redisUrl = Deno.env.get("REDIS_URL");
const publisher = redisUrl ? new Redis(redisUrl) : undefined;
const subscriber = redisUrl ? new Redis(redisUrl) : undefined;
subscriber?.on("message", (room: string, frame: string) => fanOut(room, frame));

function fanOut(room: string, frame: string): void {
  for (const socket of rooms.get(room) ?? []) {
    if (socket.readyState === WebSocket.OPEN) socket.send(frame);
  }
}

function join(socket: WebSocket, room: string): void {
  let members = rooms.get(room);
  if (!members) {
    rooms.set(room, members = new Set());
    subscriber?.subscribe(room);
  }
  members.add(socket);
}

function leave(socket: WebSocket, joined: Set<string>): void {
  for (const room of joined) {
    const members = rooms.get(room);
    members?.delete(socket);
    if (members?.size === 0) {
      rooms.delete(room);
      subscriber?.unsubscribe(room);
    }
  }
}

function accept(socket: WebSocket): void {
  const joined = new Set<string>();
  socket.onmessage = async ({ data }) => {
    const { type, to, message, ref } = JSON.parse(data);
    if (type === "joinChannel") {
      join(socket, to);
      joined.add(to);
    } else if (type === "broadcast") {
      const frame = JSON.stringify({ type: "broadcast", to, message });
      if (publisher) await publisher.publish(to, frame);
      else fanOut(to, frame);
    } else {
      return;
    }
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ack", ref }));
  };
  socket.onclose = () => leave(socket, joined);
}

Deno.serve({
  hostname: "127.0.0.1",
  port: Number(Deno.env.get("PORT") ?? 0),
  onListen: ({ port }) => console.log(`listening url=http://127.0.0.1:${port}`),
}, (request) => {
  if (request.headers.get("upgrade") !== "websocket") return new Response("raw bench server");
  const { socket, response } = Deno.upgradeWebSocket(request);
  accept(socket);
  return response;
});
