/// <reference no-default-lib="true" />
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/// <reference lib="esnext" />
/**
 * The parts of the page drawn from the app's state, but for the messages
 * (`messages.ts`): the conversation lists with their unread badges, who is
 * typing, the members of the open channel with their status, and the
 * moderation actions its owner and moderators see. Each function redraws
 * one part from plain data and calls back into the app for what the user does.
 *
 * @module
 */
import type { ChannelMember, UserPresence } from "../src/client/mod.ts";
import { byId, fill, h, when } from "./dom.ts";
import type { MessageActions } from "./messages.ts";
import type { Conversation, ConversationKey, Store } from "./store.ts";

/** What the user can do from the drawn parts. */
export interface Actions extends MessageActions {
  open(key: ConversationKey): void;
  joinChannel(name: string): void;
  declineInvitation(name: string): void;
  moderate(action: "kick" | "ban" | "mute", channel: string, user: string): void;
  setRole(channel: string, user: string, role: "moderator" | "member"): void;
}

/** Someone shown in the members pane: a channel's member (with a role), or a conversation's peer. */
export type Member = ChannelMember | UserPresence;

type Role = ChannelMember["role"];

function roleOf(member: Member): Role {
  return "role" in member ? member.role : undefined;
}

/**
 * The channels, the direct conversations (those with a system sender
 * marked "System") and the invitations, with unread counts; none on the
 * conversation being read (open on a visible page).
 */
export function drawConversationLists(
  store: Store,
  reading: ConversationKey | undefined,
  actions: Actions,
): void {
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
        conversation.system ? systemBadge() : null,
        conversation.unread > 0 && conversation.key !== reading ? badge(conversation) : null,
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

/** The mark of a system sender, in words: a colour alone would tell nothing to many. */
function systemBadge(): HTMLElement {
  return h("span", { class: "system-badge" }, "System");
}

/** "N unread", and how many of them mention the user. */
function badge({ unread, mentions }: Conversation): HTMLElement {
  const mentioned = mentions === 0 ? "" : `, ${mentions} mention${mentions === 1 ? "" : "s"}`;
  return h(
    "span",
    { class: mentions > 0 ? "badge mentioned" : "badge" },
    `${unread} unread${mentioned}`,
  );
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
  fill(
    byId("conversation-title"),
    conversation
      ? `${conversation.kind === "channel" ? "#" : "@"}${conversation.name}`
      : "No conversation open",
    conversation?.system ? " " : null,
    conversation?.system ? systemBadge() : null,
  );
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
