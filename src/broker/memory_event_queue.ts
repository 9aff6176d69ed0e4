/**
 * The embedded broker's event queue (see `event_queue.ts`): one map for the
 * hub, so every instance of the process shares it. It lives as long as the
 * process: events still waiting when it exits are lost (documented in
 * `docs/webhooks.md`).
 *
 * @module
 */
import type { ClaimedEvent, EventQueue, QueuedEvent } from "./event_queue.ts";

interface Waiting extends QueuedEvent {
  dueAt: number;
  attempts: number;
  claim: string;
  /** Its check was dropped by `expedite`: it goes as it is. */
  expedited?: true;
}

/** Creates a queue; `now` is the hub's clock. */
export function createMemoryEventQueue(now: () => number = Date.now): EventQueue {
  const waiting = new Map<string, Waiting>();
  let claims = 0;

  /** The event `id` if `claim` is still its latest claim. */
  function claimed(id: string, claim: string): Waiting | undefined {
    const event = waiting.get(id);
    return event?.claim === claim ? event : undefined;
  }

  return {
    add({ id, body, check }, delayMs) {
      const previous = waiting.get(id);
      // Expedited and not under a live lease: a previous holding's offline, still to be sent.
      if (
        previous?.expedited &&
        (previous.claim === "" || previous.dueAt <= now())
      ) {
        const moved = `${id}#${++claims}`;
        waiting.set(moved, { ...previous, id: moved, claim: "" });
      }
      waiting.set(id, {
        id,
        body,
        ...(check === undefined ? {} : { check }),
        dueAt: now() + delayMs,
        attempts: 0,
        claim: "",
      });
      return Promise.resolve();
    },
    expedite(id) {
      const event = waiting.get(id);
      if (!event) return Promise.resolve(false);
      delete event.check;
      event.expedited = true;
      // Under a live lease the claimer alone sends it.
      if (event.claim !== "" && event.dueAt > now()) return Promise.resolve(true);
      event.dueAt = now();
      event.claim = "";
      return Promise.resolve(true);
    },
    claim(limit, leaseMs) {
      const at = now();
      const due = [...waiting.values()].filter((event) => event.dueAt <= at)
        .sort((a, b) => a.dueAt - b.dueAt)
        .slice(0, limit);
      return Promise.resolve(due.map((event): ClaimedEvent => {
        event.claim = `c${++claims}`;
        event.dueAt = at + leaseMs;
        const { id, body, check, attempts, claim } = event;
        return { id, body, ...(check === undefined ? {} : { check }), attempts, claim };
      }));
    },
    done(id, claim) {
      if (claimed(id, claim)) waiting.delete(id);
      return Promise.resolve();
    },
    dismiss(id, claim) {
      const event = claimed(id, claim);
      if (event?.check !== undefined) waiting.delete(id);
      else if (event) Object.assign(event, { dueAt: now(), claim: "" });
      return Promise.resolve();
    },
    retry(id, claim, delayMs, failed) {
      const event = claimed(id, claim);
      if (event) {
        event.dueAt = now() + delayMs;
        event.claim = "";
        if (failed) event.attempts++;
      }
      return Promise.resolve();
    },
    size: () => Promise.resolve(waiting.size),
  };
}
