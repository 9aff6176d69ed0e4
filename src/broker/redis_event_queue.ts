/**
 * The Redis broker's event queue (see `event_queue.ts`; the scripts are in
 * `redis_queue_scripts.ts`): events wait in Redis, so they outlive the
 * instance that queued them, and any instance sends them.
 *
 * @module
 */
import type { ClaimedEvent, EventQueue } from "./event_queue.ts";
import type { Commands } from "./redis_commands.ts";

/** Fields per event in a QUEUE_CLAIM reply: id, body, check, attempts, claim. */
const CLAIMED_FIELDS = 5;

/** Creates the queue on the broker's command connection. */
export function createRedisEventQueue({ run }: Pick<Commands, "run">): EventQueue {
  return {
    async add({ id, body, check }, delayMs) {
      await run("QUEUE_ADD", id, body, check ?? "", delayMs);
    },
    async expedite(id) {
      return await run("QUEUE_EXPEDITE", id) === 1;
    },
    async claim(limit, leaseMs) {
      const reply = await run("QUEUE_CLAIM", limit, leaseMs) as string[];
      const claimed: ClaimedEvent[] = [];
      for (let at = 0; at < reply.length; at += CLAIMED_FIELDS) {
        const [id, body, check, attempts, claim] = reply.slice(at, at + CLAIMED_FIELDS);
        claimed.push({ id, body, ...(check ? { check } : {}), attempts: Number(attempts), claim });
      }
      return claimed;
    },
    async done(id, claim) {
      await run("QUEUE_DONE", id, claim);
    },
    async dismiss(id, claim) {
      await run("QUEUE_DISMISS", id, claim);
    },
    async retry(id, claim, delayMs, failed) {
      await run("QUEUE_RETRY", id, claim, delayMs, failed ? "1" : "");
    },
    async size() {
      return await run("QUEUE_SIZE") as number;
    },
  };
}
