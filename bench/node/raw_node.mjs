/**
 * The zero-logic Node server the bench compares Natter's Node build with:
 * node:http and `ws`, rooms, and the fan-out of one string to a room's
 * members, nothing else (see rooms.mjs, shared with bench/raw_deno.ts).
 * Same frames as the Deno one; with `REDIS_URL`, publishes go through
 * Redis pub/sub.
 *
 * Usage: PORT=0 [REDIS_URL=redis://…] node bench/node/raw_node.mjs
 * (prints `listening url=http://127.0.0.1:PORT`)
 */
import { createServer } from "node:http";
import { WebSocketServer } from "ws";
import { createRooms } from "./rooms.mjs";

const rooms = createRooms(process.env.REDIS_URL);
const server = createServer((_request, response) => response.end("raw bench server"));
new WebSocketServer({ server }).on("connection", (socket) => {
  const joined = new Set();
  socket.on("message", (data) => rooms.receive(socket, joined, data.toString()));
  socket.on("close", () => rooms.leave(socket, joined));
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`listening url=http://127.0.0.1:${server.address().port}`);
});
