/// <reference no-default-lib="true" />
/// <reference lib="dom" />
/// <reference lib="esnext" />
/**
 * The user's read state in the app: unread badges and "Seen" receipts as
 * the SDK keeps them (from the server's `readState` on connect and its
 * `read` frames, so a conversation read on another device clears here
 * too), and marking the conversation on screen read up to its newest
 * message: when it opens, when a message comes into it, and when the page
 * comes back into view, at most once every `MARK_INTERVAL_MS` (a busy
 * channel is marked read as a whole, not message by message: each mark
 * costs a frame and, in a small channel, a receipt to every member). A
 * conversation open in a hidden page is not read.
 *
 * @module
 */
import type { NatterClient } from "../src/client/mod.ts";
import { type ConversationKey, type Store, whereOf } from "./store.ts";

/** The read state of one signed-in chat. */
export interface Reading {
  /** The conversation being read: open on a visible page. */
  reading(): ConversationKey | undefined;
  /** Marks the conversation being read read up to its newest message, if it has unread ones. */
  markShownRead(): void;
  /** Stops following the read state. */
  dispose(): void;
}

/** What reading needs of the chat. */
export interface ReadingHooks {
  redraw(): void;
  /** Keeps the conversation list in the browser (a conversation may come from another device). */
  keep(): void;
}

/** The shortest time between two marks of one conversation as read. */
export const MARK_INTERVAL_MS = 2_000;

/** Follows `client`'s read positions into `store`, from now until `dispose`. */
export function followReading(client: NatterClient, store: Store, hooks: ReadingHooks): Reading {
  /** The newest id each conversation was last marked read up to, and when. */
  const marked = new Map<ConversationKey, { id: string; at: number }>();
  /** A mark put off until the interval has passed. */
  let later: ReturnType<typeof setTimeout> | undefined;
  const reading = () => document.visibilityState === "visible" ? store.open : undefined;

  function markShownRead(): void {
    const key = reading();
    const conversation = key && store.conversations.get(key);
    const newest = key && store.newest(key);
    if (!conversation?.loaded || conversation.unread === 0 || !newest) return;
    const last = marked.get(conversation.key);
    if (last?.id === newest) return;
    const wait = last === undefined ? 0 : last.at + MARK_INTERVAL_MS - Date.now();
    if (wait > 0) {
      later ??= setTimeout(() => {
        later = undefined;
        markShownRead();
      }, wait);
      return;
    }
    marked.set(conversation.key, { id: newest, at: Date.now() });
    // Reading is not something the user asked for: a refusal is no news to them.
    client.markRead(whereOf(conversation), newest).catch(() => {});
  }

  const changed = () => {
    hooks.redraw();
    markShownRead();
  };
  document.addEventListener("visibilitychange", changed);
  const offs = [
    client.on("readState", () => {
      // The server's counts replace every count: those it does not list have none.
      for (const conversation of store.conversations.values()) {
        conversation.unread = conversation.mentions = 0;
      }
      for (const position of client.readPositions()) store.position(position);
      hooks.keep();
      changed();
    }),
    client.on("unread", (position) => {
      store.position(position);
      if ("with" in position.conversation) hooks.keep();
      changed();
    }),
  ];

  return {
    reading,
    markShownRead,
    dispose() {
      clearTimeout(later);
      document.removeEventListener("visibilitychange", changed);
      for (const off of offs) off();
    },
  };
}
