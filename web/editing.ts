/// <reference no-default-lib="true" />
/// <reference lib="dom" />
/// <reference lib="esnext" />
/**
 * What the user does to the messages of the open conversation: edit one in
 * place (a field instead of its text: Enter saves, Shift+Enter is a new
 * line, Escape cancels), delete one (pressed twice: Delete, then Confirm
 * delete), and add or take back a reaction. The shown message changes when
 * the server's change comes back, on this page as on every other one.
 *
 * @module
 */
import type { NatterClient } from "../src/client/mod.ts";
import { h } from "./dom.ts";
import type { MessageActions, MessageContext } from "./messages.ts";
import { notice, REFUSED } from "./notices.ts";
import { type ConversationKey, type ShownMessage, type Store, whereOf } from "./store.ts";

/** The actions on messages, and what the message list must show of them. */
export interface Editing {
  actions: Omit<MessageActions, "reply">;
  /** The message being edited (while it can still be) and the one whose deletion awaits confirmation. */
  context(): Pick<MessageContext, "editing" | "confirming">;
  /** Drops what was under way: another conversation opens. */
  reset(): void;
}

/** What editing needs of the chat. */
export interface EditingHooks {
  redraw(): void;
  live<T>(ask: () => Promise<T>): Promise<T | typeof REFUSED>;
}

/** The actions on `store`'s messages through `client`. */
export function messageEditing(client: NatterClient, store: Store, hooks: EditingHooks): Editing {
  let editing: { key: ConversationKey; id: string; field: HTMLTextAreaElement } | undefined;
  let confirming: string | undefined;

  /** The message being edited, while it is still there to edit. */
  function edited(): ShownMessage | undefined {
    const message = editing &&
      store.conversations.get(editing.key)?.messages.find(({ id }) => id === editing!.id);
    return message?.deleted ? undefined : message;
  }

  function cancelEdit(): void {
    const id = editing?.id;
    editing = undefined;
    hooks.redraw();
    document.querySelector<HTMLElement>(`[data-focus="Edit ${id}"]`)?.focus();
  }

  async function saveEdit(): Promise<void> {
    const current = editing;
    const message = edited();
    if (!current || !message) return cancelEdit();
    const text = current.field.value.trim();
    if (text === message.message) return cancelEdit();
    if (text === "") return notice("A message needs some text: delete it instead.", "info");
    const conversation = store.conversations.get(current.key)!;
    current.field.readOnly = true;
    const saved = await hooks.live(() =>
      client.editMessage(whereOf(conversation), current.id, text)
    );
    current.field.readOnly = false;
    if (editing !== current) return;
    if (saved === REFUSED) current.field.focus(); // The refusal is shown; the text stays to fix.
    else cancelEdit();
  }

  return {
    actions: {
      edit(message) {
        const field = h("textarea", { "aria-label": "Edit message", "data-focus": "edit" });
        field.value = message.message;
        field.rows = Math.min(6, message.message.split("\n").length + 1);
        field.addEventListener("keydown", (event) => {
          if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            void saveEdit();
          } else if (event.key === "Escape") {
            event.preventDefault();
            cancelEdit();
          }
        });
        editing = { key: store.open!, id: message.id, field };
        confirming = undefined;
        hooks.redraw();
        field.focus();
        field.setSelectionRange(field.value.length, field.value.length);
      },
      saveEdit: () => void saveEdit(),
      cancelEdit,
      async remove(message) {
        const conversation = store.open && store.conversations.get(store.open);
        if (!conversation) return;
        if (confirming !== message.id) {
          confirming = message.id;
          return hooks.redraw();
        }
        confirming = undefined;
        hooks.redraw();
        await hooks.live(() => client.deleteMessage(whereOf(conversation), message.id));
      },
      async react(message, emoji, add) {
        const conversation = store.open && store.conversations.get(store.open);
        if (!conversation) return;
        const where = whereOf(conversation);
        await hooks.live(() =>
          add ? client.react(where, message.id, emoji) : client.unreact(where, message.id, emoji)
        );
      },
    },
    context() {
      // A message deleted meanwhile (here or by someone else) is edited no more.
      if (editing && !edited()) editing = undefined;
      return { editing, confirming };
    },
    reset() {
      editing = undefined;
      confirming = undefined;
    },
  };
}
