/**
 * Socket.IO 4 as the bench runs it: WebSocket transport only, rooms, and
 * with `REDIS_URL` the official `@socket.io/redis-adapter` between
 * instances. Events: `join(room)` and `broadcast(room, message)`, each
 * acknowledged; a broadcast reaches every member of the room as
 * `broadcast(message)`.
 *
 * Usage: PORT=0 [REDIS_URL=redis://…] node bench/node/socketio_server.mjs
 * (prints `listening url=http://127.0.0.1:PORT`)
 */
import { createServer } from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import { Server } from "socket.io";

const server = createServer();
const io = new Server(server, { transports: ["websocket"], serveClient: false });
const redisUrl = process.env.REDIS_URL;
if (redisUrl) {
  const publisher = new Redis(redisUrl);
  io.adapter(createAdapter(publisher, publisher.duplicate()));
}
io.on("connection", (socket) => {
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack?.("ok");
  });
  socket.on("broadcast", (room, message, ack) => {
    io.to(room).emit("broadcast", message);
    ack?.("ok");
  });
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`listening url=http://127.0.0.1:${server.address().port}`);
});
