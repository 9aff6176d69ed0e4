/**
 * Which local sessions listen on which topic, and the broker subscriptions
 * that follow from it: an instance subscribes to a topic while it has at
 * least one local member and unsubscribes when the last one leaves.
 * Subscription changes of one topic run one after another, so a leave and a
 * join racing on the same topic always end in the right state.
 *
 * @module
 */
import type { MessageBus, Topic } from "../broker/broker.ts";

/** Local topic membership for one instance. */
export interface Roster<Member> {
  /** Adds `member` now; resolves once the instance is subscribed to `topic`. */
  add(topic: Topic, member: Member): Promise<void>;
  /** Removes `member` now; resolves once an unneeded subscription is dropped. */
  remove(topic: Topic, member: Member): Promise<void>;
  /** The local members of `topic`. */
  members(topic: Topic): ReadonlySet<Member> | undefined;
}

/** Creates an empty roster that (un)subscribes through `bus`. */
export function createRoster<Member>(
  bus: Pick<MessageBus, "subscribe" | "unsubscribe">,
): Roster<Member> {
  const byTopic = new Map<Topic, Set<Member>>();
  const subscribed = new Set<Topic>();
  const pending = new Map<Topic, Promise<void>>();

  function reconcile(topic: Topic): Promise<void> {
    const previous = pending.get(topic) ?? Promise.resolve();
    const run = previous.then(async () => {
      const wanted = byTopic.has(topic);
      if (wanted && !subscribed.has(topic)) {
        await bus.subscribe(topic);
        subscribed.add(topic);
      } else if (!wanted && subscribed.has(topic)) {
        subscribed.delete(topic);
        await bus.unsubscribe(topic);
      }
    });
    const settled = run.catch(() => {});
    pending.set(topic, settled);
    settled.then(() => {
      if (pending.get(topic) === settled) pending.delete(topic);
    });
    return run;
  }

  return {
    add(topic, member) {
      const members = byTopic.get(topic);
      if (members) members.add(member);
      else byTopic.set(topic, new Set([member]));
      return reconcile(topic);
    },
    remove(topic, member) {
      const members = byTopic.get(topic);
      if (!members?.delete(member)) return Promise.resolve();
      if (members.size > 0) return Promise.resolve();
      byTopic.delete(topic);
      return reconcile(topic);
    },
    members: (topic) => byTopic.get(topic),
  };
}
