/**
 * What the two zero-logic bench servers (bench/raw_deno.ts on Deno,
 * bench/node/raw_node.mjs on Node) share: rooms of sockets, the fan-out of
 * one string to a room's open sockets, and the handling of a client frame
 * (`joinChannel` or `broadcast`, answered by `ack`). With `redisUrl`,
 * broadcasts go through Redis pub/sub, one channel per room, subscribed
 * while the room has local members. Plain JavaScript, so both runtimes load
 * it; sockets are the Web `WebSocket` or `ws`'s, which agree on `send` and
 * `readyState`.
 */
import { Redis } from "ioredis";

/** `readyState` of an open socket, the same in the Web API and in `ws`. */
const OPEN = 1;

/** Rooms for one server process; returns the handler of one socket's frames and its close. */
export function createRooms(redisUrl) {
  const rooms = new Map();
  /** Per room with local members: its Redis subscription, done or under way. */
  const subscriptions = new Map();
  const publisher = redisUrl ? new Redis(redisUrl) : undefined;
  const subscriber = redisUrl ? new Redis(redisUrl) : undefined;
  subscriber?.on("message", (room, frame) => fanOut(room, frame));

  function fanOut(room, frame) {
    for (const socket of rooms.get(room) ?? []) {
      if (socket.readyState === OPEN) socket.send(frame);
    }
  }

  /** Adds `socket` to `room`; resolves once the room's broadcasts reach this process. */
  function join(socket, room) {
    let members = rooms.get(room);
    if (!members) {
      rooms.set(room, members = new Set());
      subscriptions.set(room, subscriber?.subscribe(room));
    }
    members.add(socket);
    return subscriptions.get(room);
  }

  return {
    /** Handles a text frame from `socket`; `joined` is that socket's set of rooms. */
    async receive(socket, joined, data) {
      const { type, to, message, ref } = JSON.parse(data);
      if (type === "joinChannel") {
        joined.add(to);
        await join(socket, to);
      } else if (type === "broadcast") {
        const frame = JSON.stringify({ type: "broadcast", to, message });
        if (publisher) await publisher.publish(to, frame);
        else fanOut(to, frame);
      } else {
        return;
      }
      if (socket.readyState === OPEN) socket.send(JSON.stringify({ type: "ack", ref }));
    },
    /** Takes a closed socket out of its rooms. */
    leave(socket, joined) {
      for (const room of joined) {
        const members = rooms.get(room);
        members?.delete(socket);
        if (members?.size === 0) {
          rooms.delete(room);
          subscriptions.delete(room);
          subscriber?.unsubscribe(room);
        }
      }
    },
  };
}
