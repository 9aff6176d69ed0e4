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
import type { Conversation, ConversationKey, Store } from "./store.ts";

/** What the user can do from the drawn parts. */
export interface Actions {
  open(key: ConversationKey): void;
  joinChannel(name: string): void;
  declineInvitation(name: string): void;
  leave(name: string): void;
  deleteChannel(name: string): void;
  invite(channel: string, user: string): void;
  moderate(action: "kick" | "ban" | "mute", channel: string, user: string): void;
  setRole(channel: string, user: string, role: "moderator" | "member"): void;
}

/** Someone shown in the members pane: a channel's member (with a role), or a conversation's peer. */
export type Member = ChannelMember | UserPresence;

type Role = ChannelMember["role"];

function roleOf(member: Member): Role {
  return "role" in member ? member.role : undefined;
}

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
        h("span", {}, `${channel}, from ${from}`),
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

/** Redraws the open conversation's messages, keeping the reader's place. */
export function drawMessages(conversation: Conversation | undefined): void {
  const scroller = byId("message-scroller");
  const fromBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
  const older = byId<HTMLButtonElement>("older");
  older.hidden = !conversation || conversation.complete || !conversation.loaded;
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
        h("p", { class: "text" }, message.text),
      )
    ),
  );
  // A reader at the bottom follows new messages; one scrolled up stays where they were.
  scroller.scrollTop = fromBottom < 40 ? scroller.scrollHeight : scroller.scrollHeight -
    scroller.clientHeight - fromBottom;
}

export function drawTyping(typists: string[]): void {
  byId("typing").textContent = typists.length === 0
    ? ""
    : typists.length === 1
    ? `${typists[0]} is typing…`
    : `${typists.join(", ")} are typing…`;
}

/** The conversation's title and the actions on it (leave, invite, delete). */
export function drawConversationHead(
  conversation: Conversation | undefined,
  myRole: Role,
  actions: Actions,
): void {
  byId("conversation-title").textContent = conversation
    ? `${conversation.kind === "channel" ? "#" : "@"}${conversation.name}`
    : "No conversation open";
  const head = byId("conversation-actions");
  if (!conversation || conversation.kind !== "channel") return fill(head);
  const channel = conversation.name;
  const invite = h(
    "form",
    {
      class: "inline",
      onsubmit: (event) => {
        event.preventDefault();
        const field = byId<HTMLInputElement>("invite-name");
        if (field.value.trim()) actions.invite(channel, field.value.trim());
        field.value = "";
      },
    },
    h("label", { for: "invite-name" }, "Invite user"),
    h("input", { id: "invite-name", maxlength: "32", required: true }),
    h("button", { type: "submit" }, "Invite"),
  );
  fill(
    head,
    myRole ? invite : null,
    h("button", { type: "button", onclick: () => actions.leave(channel) }, "Leave channel"),
    myRole === "owner"
      ? h("button", {
        type: "button",
        class: "danger",
        onclick: () => actions.deleteChannel(channel),
      }, "Delete channel")
      : null,
  );
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
    h("button", { type: "button", "aria-label": `${label} ${member.name}`, onclick: act }, label);
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
