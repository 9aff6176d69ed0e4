/// <reference no-default-lib="true" />
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/// <reference lib="esnext" />
/**
 * The parts of the page drawn from the app's state: the conversation lists,
 * the open conversation's messages, who is typing, the members of the open
 * channel with their status, and the moderation actions its owner and
 * moderators see. Each function redraws one part from plain data and calls
 * back into the app for what the user does.
 *
 * @module
 */
import type { ChannelMember, UserPresence } from "../src/client/mod.ts";
import { byId, fill, h, when } from "./dom.ts";
import type { Conversation, ConversationKey, ShownMessage, Store } from "./store.ts";

/** What the user can do from the drawn parts. */
export interface Actions {
  open(key: ConversationKey): void;
  joinChannel(name: string): void;
  declineInvitation(name: string): void;
  /** Answer `message`: the next message sent replies to it. */
  reply(message: ShownMessage): void;
  moderate(action: "kick" | "ban" | "mute", channel: string, user: string): void;
  setRole(channel: string, user: string, role: "moderator" | "member"): void;
}

/** Someone shown in the members pane: a channel's member (with a role), or a conversation's peer. */
export type Member = ChannelMember | UserPresence;

type Role = ChannelMember["role"];

function roleOf(member: Member): Role {
  return "role" in member ? member.role : undefined;
}

/** The channels, the direct conversations and the invitations, with unread counts. */
export function drawConversationLists(store: Store, actions: Actions): void {
  const item = (conversation: Conversation) =>
    h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          class: "conversation-link",
          "data-focus": conversation.key,
          "aria-current": store.open === conversation.key ? "page" : undefined,
          onclick: () => actions.open(conversation.key),
        },
        h(
          "span",
          { class: "sigil", "aria-hidden": "true" },
          conversation.kind === "channel" ? "#" : "@",
        ),
        conversation.name,
        conversation.unread > 0
          ? h("span", { class: "badge" }, `${conversation.unread} unread`)
          : null,
      ),
    );
  fill(byId("channel-list"), ...store.list("channel").map(item));
  fill(byId("direct-list"), ...store.list("direct").map(item));
  const invitations = [...store.invitations];
  byId("invitations-section").hidden = invitations.length === 0;
  fill(
    byId("invitations"),
    ...invitations.map(([channel, from]) =>
      h(
        "li",
        {},
        h("span", {}, from ? `${channel}, from ${from}` : channel),
        h("button", {
          type: "button",
          onclick: () => actions.joinChannel(channel),
        }, `Join ${channel}`),
        h(
          "button",
          { type: "button", onclick: () => actions.declineInvitation(channel) },
          "Decline",
        ),
      )
    ),
  );
}

/** Which conversation's messages are drawn, at which version. */
let drawn: { key?: ConversationKey; version: number } = { version: -1 };

/**
 * Redraws the open conversation's messages if they changed since last
 * drawn (so a selection survives other events), keeping the reader's place.
 */
export function drawMessages(conversation: Conversation | undefined, actions: Actions): void {
  const older = byId<HTMLButtonElement>("older");
  older.hidden = !conversation || conversation.complete || !conversation.loaded;
  if (drawn.key === conversation?.key && drawn.version === conversation?.version) return;
  drawn = { key: conversation?.key, version: conversation?.version ?? -1 };
  const scroller = byId("message-scroller");
  const fromBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
  fill(
    byId("messages"),
    ...(conversation?.messages ?? []).map((message) =>
      h(
        "li",
        { class: message.pending ? "message pending" : "message", "data-id": message.id },
        h("span", { class: "from" }, message.from),
        h(
          "time",
          { datetime: new Date(message.ts).toISOString() },
          message.pending ? "sending…" : when(message.ts),
        ),
        message.replyTo ? quote(conversation!, message.replyTo) : null,
        h("p", { class: "text" }, message.text),
        attachment(message.data),
        message.pending ? null : h("button", {
          type: "button",
          class: "reply",
          "data-focus": `reply ${message.id}`,
          onclick: () => actions.reply(message),
        }, "Reply"),
      )
    ),
  );
  // A reader at the bottom follows new messages; one scrolled up stays where they were.
  scroller.scrollTop = fromBottom < 40 ? scroller.scrollHeight : scroller.scrollHeight -
    scroller.clientHeight - fromBottom;
}

/** The message a reply answers, as a short quote (it may be older than what is loaded). */
function quote(conversation: Conversation, id: string): HTMLElement {
  const target = conversation.messages.find((message) => message.id === id);
  return h(
    "p",
    { class: "quote" },
    target ? `↪ ${target.from}: ${shortened(target.text)}` : "↪ an earlier message",
  );
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

/** Who is typing in the open conversation. */
export function drawTyping(typists: string[]): void {
  byId("typing").textContent = typists.length === 0
    ? ""
    : typists.length === 1
    ? `${typists[0]} is typing…`
    : `${typists.join(", ")} are typing…`;
}

/**
 * The conversation's title and the actions on it: leave, and invite for
 * owners and moderators, delete for the owner. The controls are the page's
 * own, shown or hidden, so what a user is typing in them survives.
 */
export function drawConversationHead(conversation: Conversation | undefined, myRole: Role): void {
  byId("conversation-title").textContent = conversation
    ? `${conversation.kind === "channel" ? "#" : "@"}${conversation.name}`
    : "No conversation open";
  const channel = conversation?.kind === "channel";
  byId("invite-form").hidden = !channel || !myRole;
  byId("leave-channel").hidden = !channel;
  byId("delete-channel").hidden = !channel || myRole !== "owner";
}

/** The open channel's members: online ones (with their status), offline ones (last seen). */
export function drawMembers(
  channel: string | undefined,
  members: Member[],
  counts: { members: number; online: number } | undefined,
  me: string,
  actions: Actions,
): void {
  const mine = members.find((member) => member.name === me);
  const myRole = mine && roleOf(mine);
  const entry = (member: Member) =>
    h(
      "li",
      { class: `member ${member.online ? member.status : "offline"}` },
      h("span", { class: "dot", "aria-hidden": "true" }),
      h("span", { class: "name" }, member.name),
      roleOf(member) ? h("span", { class: "role" }, roleOf(member)) : null,
      member.online && member.status === "away" ? h("span", { class: "status" }, "away") : null,
      member.text ? h("span", { class: "status-text" }, member.text) : null,
      !member.online && member.lastSeen
        ? h("span", { class: "seen" }, `last seen ${when(member.lastSeen)}`)
        : null,
      channel && myRole && member.name !== me && outranks(myRole, roleOf(member))
        ? moderation(channel, member, myRole, actions)
        : null,
    );
  fill(byId("online"), ...members.filter((member) => member.online).map(entry));
  fill(byId("offline"), ...members.filter((member) => !member.online).map(entry));
  byId("online-title").textContent = counts && members.length === 0
    ? `Online: ${counts.online} of ${counts.members}`
    : "Online";
}

function outranks(mine: NonNullable<Role>, theirs: Role): boolean {
  return mine === "owner" || theirs === undefined;
}

/** The moderation buttons for one member, named with the member for screen readers. */
function moderation(
  channel: string,
  member: Member,
  myRole: NonNullable<Role>,
  actions: Actions,
): HTMLElement {
  const button = (label: string, act: () => void) =>
    h("button", {
      type: "button",
      "aria-label": `${label} ${member.name}`,
      "data-focus": `${label} ${member.name}`,
      onclick: act,
    }, label);
  return h(
    "span",
    { class: "moderate" },
    button("Kick", () => actions.moderate("kick", channel, member.name)),
    button("Mute", () => actions.moderate("mute", channel, member.name)),
    button("Ban", () => actions.moderate("ban", channel, member.name)),
    myRole === "owner"
      ? roleOf(member) === "moderator"
        ? button("Remove moderator", () => actions.setRole(channel, member.name, "member"))
        : button("Make moderator", () => actions.setRole(channel, member.name, "moderator"))
      : null,
  );
}

/** The public channels found, each with a way to join. */
export function drawPublicChannels(
  channels: { name: string; members: number }[],
  actions: Actions,
): void {
  fill(
    byId("public-channels"),
    ...(channels.length === 0
      ? [h("li", {}, "No public channels yet")]
      : channels.map((channel) =>
        h(
          "li",
          {},
          h("span", {}, `${channel.name} (${channel.members})`),
          h("button", {
            type: "button",
            onclick: () => actions.joinChannel(channel.name),
          }, `Join ${channel.name}`),
        )
      )),
  );
}
