/**
 * The zero-logic Node server the bench compares Natter's Node build with:
 * node:http and `ws`, rooms, and the fan-out of one string to a room's
 * members, nothing else. Same frames as bench/raw_deno.ts (`joinChannel`,
 * `broadcast`, answered by `ack`; no handshake); with `REDIS_URL`,
 * publishes go through Redis pub/sub, one channel per room.
 *
 * Usage: PORT=0 [REDIS_URL=redis://…] node bench/node/raw_node.mjs
 * (prints `listening url=http://127.0.0.1:PORT`)
 */
import { createServer } from "node:http";
import { Redis } from "ioredis";
import { WebSocket, WebSocketServer } from "ws";

const rooms = new Map();
const redisUrl = process.env.REDIS_URL;
const publisher = redisUrl ? new Redis(redisUrl) : undefined;
const subscriber = redisUrl ? new Redis(redisUrl) : undefined;
subscriber?.on("message", (room, frame) => fanOut(room, frame));

function fanOut(room, frame) {
  for (const socket of rooms.get(room) ?? []) {
    if (socket.readyState === WebSocket.OPEN) socket.send(frame);
  }
}

function join(socket, room) {
  let members = rooms.get(room);
  if (!members) {
    rooms.set(room, members = new Set());
    subscriber?.subscribe(room);
  }
  members.add(socket);
}

function leave(socket, joined) {
  for (const room of joined) {
    const members = rooms.get(room);
    members?.delete(socket);
    if (members?.size === 0) {
      rooms.delete(room);
      subscriber?.unsubscribe(room);
    }
  }
}

const server = createServer((_request, response) => response.end("raw bench server"));
const sockets = new WebSocketServer({ server });
sockets.on("connection", (socket) => {
  const joined = new Set();
  socket.on("message", async (data) => {
    const { type, to, message, ref } = JSON.parse(data.toString());
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
  });
  socket.on("close", () => leave(socket, joined));
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`listening url=http://127.0.0.1:${server.address().port}`);
});
