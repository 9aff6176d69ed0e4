/// <reference no-default-lib="true" />
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/// <reference lib="esnext" />
/**
 * The open conversation's messages, drawn: each with its sender, time,
 * "(edited)" mark, the message it answers, its text (or "Message deleted"
 * once deleted) and attachment link, its reactions as toggle buttons with
 * their counts, quick reactions, and Reply, Edit and Delete for those who
 * may; "Seen" under the user's last message the other user of a direct
 * conversation has read. A message a system sender posted through the
 * server API stands apart: a "System" badge by its sender, its own look,
 * "System message from …" for a screen reader, and no Reply or Edit (no
 * user wrote it); a channel's owner and moderators may still delete it.
 * Every text a user wrote stays text (`dom.ts`).
 *
 * @module
 */
import { type ChannelRole, isOwn } from "../src/client/mod.ts";
import { byId, fill, h, when } from "./dom.ts";
import type { Conversation, ShownMessage } from "./store.ts";

/** The reactions offered on every message, besides those it has. */
export const QUICK_REACTIONS = ["👍", "❤️", "😂"];

/** What the user can do to a message. */
export interface MessageActions {
  /** Answer `message`: the next message sent replies to it. */
  reply(message: ShownMessage): void;
  /** Edit `message` in place: its field replaces its text until saved or cancelled. */
  edit(message: ShownMessage): void;
  saveEdit(): void;
  cancelEdit(): void;
  /** Delete `message`: the first call asks for a confirmation, the second deletes. */
  remove(message: ShownMessage): void;
  /** Add (`add`) or take back the user's `emoji` reaction to `message`. */
  react(message: ShownMessage, emoji: string, add: boolean): void;
}

/** Who looks at the messages, and what they are doing to one. */
export interface MessageContext {
  me: string;
  /** The user's role in the open channel: its owner and moderators delete any message. */
  role: ChannelRole | undefined;
  /** The message being edited, and its field: the same element at each drawing, so typing survives. */
  editing?: { id: string; field: HTMLTextAreaElement };
  /** The message whose Delete was pressed once. */
  confirming?: string;
}

/** What was drawn last: the messages are drawn again only when it changes. */
let drawn = "";

/**
 * Redraws the open conversation's messages if they or what the user does
 * to them changed since last drawn (so a selection survives other events),
 * keeping the reader's place.
 */
export function drawMessages(
  conversation: Conversation | undefined,
  context: MessageContext,
  actions: MessageActions,
): void {
  const older = byId<HTMLButtonElement>("older");
  older.hidden = !conversation || conversation.complete || !conversation.loaded;
  const now = [
    conversation?.key,
    conversation?.version,
    context.role,
    context.editing?.id,
    context.confirming,
  ].join(" ");
  if (now === drawn) return;
  drawn = now;
  const scroller = byId("message-scroller");
  const fromBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
  const seen = conversation && seenMessage(conversation, context.me);
  // The edit field moves into the new list: where the caret was is noted before it moves.
  const field = context.editing?.field;
  const typing = field !== undefined && document.activeElement === field
    ? [field.selectionStart, field.selectionEnd] as const
    : undefined;
  fill(
    byId("messages"),
    ...(conversation?.messages ?? []).map((message) =>
      item(conversation!, message, context, actions, message.id === seen)
    ),
  );
  if (field && typing) {
    field.focus();
    field.setSelectionRange(...typing);
  }
  // A reader at the bottom follows new messages; one scrolled up stays where they were.
  scroller.scrollTop = fromBottom < 40 ? scroller.scrollHeight : scroller.scrollHeight -
    scroller.clientHeight - fromBottom;
}

/** In a direct conversation, the user's last message the other user has read. */
function seenMessage(conversation: Conversation, me: string): string | undefined {
  const { theirRead } = conversation;
  if (conversation.kind !== "direct" || theirRead === undefined) return undefined;
  return conversation.messages.findLast((message) =>
    isOwn(message, me) && !message.pending && message.id <= theirRead
  )?.id;
}

function item(
  conversation: Conversation,
  message: ShownMessage,
  context: MessageContext,
  actions: MessageActions,
  seen: boolean,
): HTMLElement {
  const editing = context.editing?.id === message.id ? context.editing.field : undefined;
  const open = !message.pending && !message.deleted;
  return h(
    "li",
    {
      class: [
        "message",
        message.pending && "pending",
        message.deleted && "deleted",
        message.system && "system",
      ].filter(Boolean).join(" "),
      "data-id": message.id,
    },
    sender(message),
    h(
      "span",
      { class: "meta" },
      h(
        "time",
        { datetime: new Date(message.ts).toISOString() },
        message.pending ? "sending…" : when(message.ts),
      ),
      message.edited && !message.deleted
        ? h("span", { class: "edited", title: `Edited ${when(message.edited)}` }, "(edited)")
        : null,
    ),
    message.replyTo ? quote(conversation, message.replyTo) : null,
    message.deleted
      ? h("p", { class: "text" }, "Message deleted")
      : editing
      ? editor(editing, actions)
      : h("p", { class: "text", id: `text-${message.id}` }, message.message),
    message.deleted ? null : attachment(message.data),
    open ? tools(conversation, message, context, actions) : null,
    seen ? h("p", { class: "receipt" }, "Seen") : null,
  );
}

/**
 * Who sent a message. A system sender's name comes with a "System" badge
 * for the eye, and is "System message from …" for a screen reader (the
 * badge itself is not read twice); the buttons name the message by it.
 */
function sender(message: ShownMessage): HTMLElement {
  const id = `from-${message.id}`;
  if (!message.system) return h("span", { class: "from", id }, message.from);
  return h(
    "span",
    { class: "sender" },
    h(
      "span",
      { class: "from", id },
      h("span", { class: "visually-hidden" }, "System message from "),
      message.from,
    ),
    h("span", { class: "system-badge", "aria-hidden": "true" }, "System"),
  );
}

/** The edit field of a message, with its buttons (Enter and Escape in the field do the same). */
function editor(field: HTMLTextAreaElement, actions: MessageActions): HTMLElement {
  const button = (label: string, act: () => void) =>
    h("button", { type: "button", "data-focus": label, onclick: act }, label);
  return h(
    "div",
    { class: "text editor" },
    field,
    button("Save", () => actions.saveEdit()),
    button("Cancel edit", () => actions.cancelEdit()),
  );
}

/** A message's reactions, the quick ones it does not have yet, and what the user may do to it. */
function tools(
  conversation: Conversation,
  message: ShownMessage,
  context: MessageContext,
  actions: MessageActions,
): HTMLElement {
  const own = isOwn(message, context.me);
  const mayDelete = own || (conversation.kind === "channel" && context.role !== undefined);
  const confirming = context.confirming === message.id;
  // Which message a button acts on, for a screen reader: its sender and text.
  const about = `from-${message.id} text-${message.id}`;
  const button = (
    label: string,
    act: () => void,
    { focus = label, ...props }: Record<string, string | undefined> = {},
  ) =>
    h(
      "button",
      {
        type: "button",
        "data-focus": `${focus} ${message.id}`,
        "aria-describedby": about,
        onclick: act,
        ...props,
      },
      label,
    );
  const reactions = message.reactions ?? [];
  const has = new Set(reactions.map((reaction) => reaction.emoji));
  return h(
    "div",
    { class: "tools" },
    h(
      "span",
      { class: "reactions", role: "group", "aria-label": "Reactions" },
      ...reactions.map(({ emoji, count, mine }) =>
        button(`${emoji} ${count}`, () => actions.react(message, emoji, !mine), {
          focus: emoji, // A quick reaction's focus moves to the reaction it becomes.
          class: "reaction",
          "aria-pressed": String(mine === true),
        })
      ),
      ...QUICK_REACTIONS.filter((emoji) => !has.has(emoji)).map((emoji) =>
        button(emoji, () => actions.react(message, emoji, true), {
          focus: emoji,
          class: "quick",
          "aria-label": `React ${emoji}`,
        })
      ),
    ),
    // Nobody wrote a system message to answer it: it takes no reply.
    message.system ? null : button("Reply", () => actions.reply(message), { class: "reply" }),
    own && !context.editing ? button("Edit", () => actions.edit(message)) : null,
    mayDelete
      ? button(confirming ? "Confirm delete" : "Delete", () => actions.remove(message), {
        focus: "Delete",
        class: confirming ? "danger" : undefined,
      })
      : null,
  );
}

/** The message a reply answers, as a short quote (it may be older than what is loaded). */
function quote(conversation: Conversation, id: string): HTMLElement {
  const target = conversation.messages.find((message) => message.id === id);
  const text = target?.deleted ? "Message deleted" : shortened(target?.message ?? "");
  return h("p", { class: "quote" }, target ? `↪ ${target.from}: ${text}` : "↪ an earlier message");
}

/** The first line of `text`, at most 80 characters. */
export function shortened(text: string): string {
  const line = Array.from(text.split("\n")[0]); // Code points: an emoji is never cut in two.
  return line.length > 80 ? `${line.slice(0, 79).join("")}…` : line.join("");
}

/**
 * An attachment's metadata (`data.attachment`: url, name), shown as a link
 * only for an http(s) URL, its name always as text.
 */
function attachment(data: Record<string, unknown> | undefined): HTMLElement | null {
  const file = data?.attachment as { url?: unknown; name?: unknown } | undefined;
  if (typeof file?.url !== "string") return null;
  const name = typeof file.name === "string" && file.name ? file.name : file.url;
  if (!isWebUrl(file.url)) return h("p", { class: "attachment" }, `📎 ${name} (${file.url})`);
  return h(
    "p",
    { class: "attachment" },
    h("a", { href: file.url, rel: "noopener noreferrer nofollow", target: "_blank" }, `📎 ${name}`),
  );
}

/** Whether `url` is an absolute http or https URL: nothing else becomes a link. */
export function isWebUrl(url: string): boolean {
  try {
    return ["http:", "https:"].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}
