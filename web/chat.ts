/// <reference no-default-lib="true" />
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/// <reference lib="esnext" />
/**
 * One signed-in user's chat: the client's events turned into the app's
 * state and drawn, and the user's actions turned into requests (those on
 * messages in `editing.ts`, the read state in `reading.ts`). A direct
 * conversation with a system sender is read-only: nobody there answers.
 * Made at sign-in and disposed of at sign-out, so nothing of one user's
 * session (handlers, state, late answers) reaches the next one's.
 *
 * @module
 */
import { type ChannelRole, isOwn, type NatterClient } from "../src/client/mod.ts";
import { byId } from "./dom.ts";
import { messageEditing } from "./editing.ts";
import { drawMessages, shortened } from "./messages.ts";
import { notice, REFUSED, request } from "./notices.ts";
import { followReading } from "./reading.ts";
import { coalesced } from "./coalesce.ts";
import { type Saved, saveSession } from "./session.ts";
import {
  channelKey,
  type Conversation,
  type ConversationKey,
  directKey,
  type ShownMessage,
  Store,
  whereOf,
} from "./store.ts";
import {
  type Actions,
  drawConversationHead,
  drawConversationLists,
  drawMembers,
  drawPublicChannels,
  drawTyping,
} from "./views.ts";

const HISTORY_PAGE = 50;
/** At most one typing notice per conversation this often. */
const TYPING_EVERY_MS = 3_000;

/** What the page's controls ask of the signed-in chat. */
export interface Chat {
  open(key: ConversationKey): Promise<void>;
  openDirect(user: string): Promise<void>;
  /** Sends `text` (with `data`, if any) to the open conversation, as a reply if one is chosen. */
  send(text: string, data?: Record<string, unknown>): Promise<boolean>;
  cancelReply(): void;
  typed(): void;
  loadOlder(): Promise<void>;
  createChannel(name: string, isPrivate: boolean): Promise<boolean>;
  publicChannels(): Promise<void>;
  invite(user: string): Promise<void>;
  leave(): Promise<void>;
  deleteChannel(): Promise<void>;
  setStatus(status: "online" | "away", text: string): Promise<void>;
  /** Stops reacting to the client; the state goes with it. */
  dispose(): void;
}

/**
 * The chat of `client`'s user, made as soon as the client is, so that it
 * sees the first session's frames too; `saved` is what the browser keeps.
 */
export function createChat(client: NatterClient, saved: Saved): Chat {
  const store = new Store();
  /** Channels whose member list the client keeps live (read once; the SDK re-reads on reconnect). */
  const watched = new Set<string>();
  const typingSent = new Map<ConversationKey, number>();
  let deleteArmed: string | undefined;
  /** The message the next one answers, in the open conversation. */
  let replyingTo: ShownMessage | undefined;
  /** Channels this user asked to delete: their `left` is no news to them. */
  const deleting = new Set<string>();
  let disposed = false;
  const live = <T>(ask: () => Promise<T>) => request(ask, () => disposed);
  /** The user's name: the server says it in the session's first frame, before any other. */
  let me = client.username ?? "";
  const editing = messageEditing(client, store, { redraw, live });
  /** A redraw for what the server sends: a burst of it is drawn once. */
  const redrawSoon = coalesced(redraw);
  const reading = followReading(client, store, { redraw: redrawSoon, keep });

  const systemDirects = new Set(saved.systemDirects);
  for (const user of saved.directs) {
    store.conversation(directKey(user), user).system = systemDirects.has(user);
  }
  for (const [channel, from] of Object.entries(saved.invitations)) {
    store.invitations.set(channel, from);
  }

  const openConversation = () =>
    store.open === undefined ? undefined : store.conversation(store.open);

  function myRole(open: Conversation | undefined): ChannelRole | undefined {
    if (open?.kind !== "channel") return undefined;
    return client.memberList(open.name).find((member) => member.name === me)?.role;
  }

  function keep(): void {
    saveSession({
      ...saved,
      directs: store.list("direct").map((conversation) => conversation.name),
      systemDirects: store.list("direct").filter((conversation) => conversation.system)
        .map((conversation) => conversation.name),
      invitations: Object.fromEntries(store.invitations),
    });
  }

  function redraw(): void {
    if (disposed) return;
    const read = reading.reading();
    drawConversationLists(store, read, actions);
    const open = openConversation();
    drawConversationHead(open, myRole(open));
    drawMessages(open, { me, role: myRole(open), ...editing.context() }, actions);
    byId("replying").hidden = !replyingTo;
    byId("replying-text").textContent = replyingTo
      ? `Replying to ${replyingTo.from}: ${shortened(replyingTo.message)}`
      : "";
    drawTyping(store.open ? store.typists(store.open, Date.now()) : []);
    byId<HTMLTextAreaElement>("message").disabled = !open;
    byId<HTMLButtonElement>("send").disabled = !open;
    // A system sender reads no answers: the message box gives way to a note saying so.
    const unanswerable = open?.system === true;
    byId("composer").hidden = unanswerable;
    byId("no-answer").hidden = !unanswerable;
    byId("no-answer").textContent = unanswerable
      ? `${open.name} sends system messages: it cannot be answered.`
      : "";
    if (unanswerable) {
      byId("attach").hidden = true;
      byId("attach-toggle").setAttribute("aria-expanded", "false");
    }
    const unread = [...store.conversations.values()]
      .reduce((sum, c) => c.key === read ? sum : sum + c.unread, 0);
    document.title = unread > 0 ? `(${unread}) Natter` : "Natter";
  }

  /** The open channel's members, or the open conversation's peer (asked once per opening). */
  async function drawPeople(askPeer = false): Promise<void> {
    const open = openConversation();
    byId("toggle-members").hidden = !open || open.system;
    if (!open) return drawMembers(undefined, [], undefined, me, actions);
    if (open.kind === "channel") {
      drawMembers(
        open.name,
        client.memberList(open.name),
        client.memberCount(open.name),
        me,
        actions,
      );
    } else if (open.system) {
      // A system sender is no user: it has no presence to show.
      drawMembers(undefined, [], undefined, me, actions);
    } else if (askPeer) {
      const users = await live(() => client.presence([open.name]));
      if (users !== REFUSED && store.open === open.key) {
        drawMembers(undefined, users, undefined, me, actions);
      }
    }
    if (store.open === open.key) drawConversationHead(open, myRole(open));
  }

  async function loadOlder(key: ConversationKey): Promise<void> {
    const conversation = store.conversation(key);
    const before = conversation.loaded
      ? conversation.messages.find((message) => !message.pending)?.id
      : undefined;
    const where = whereOf(conversation);
    const page = await live(() => client.history({ ...where, before, limit: HISTORY_PAGE }));
    if (page === REFUSED || !store.conversations.has(key)) return;
    store.add(key, page);
    conversation.loaded = true;
    conversation.complete = page.length < HISTORY_PAGE;
    redraw();
    reading.markShownRead();
  }

  async function open(key: ConversationKey): Promise<void> {
    if (store.open !== key) {
      replyingTo = undefined;
      editing.reset();
    }
    const conversation = store.select(key);
    document.body.classList.remove("show-channels");
    redraw();
    reading.markShownRead();
    await drawPeople(true);
    if (!conversation.loaded) await loadOlder(key);
    if (conversation.kind === "channel" && !watched.has(conversation.name)) {
      watched.add(conversation.name);
      if ((await live(() => client.members(conversation.name))) === REFUSED) {
        watched.delete(conversation.name);
      }
      if (store.open === key) await drawPeople();
    }
  }

  function forgetChannel(name: string): void {
    store.remove(channelKey(name));
    if (store.open === undefined) replyingTo = undefined;
    watched.delete(name);
    redraw();
    void drawPeople();
  }

  const actions: Actions = {
    ...editing.actions,
    open: (key) => void open(key),
    async joinChannel(name) {
      if ((await live(() => client.join(name))) === REFUSED) return;
      store.invitations.delete(name);
      keep();
      byId("new-channel-panel").hidden = true;
      byId("new-channel").setAttribute("aria-expanded", "false");
      await open(channelKey(name));
    },
    reply(message) {
      replyingTo = message;
      redraw();
      byId("message").focus();
    },
    declineInvitation(name) {
      store.invitations.delete(name);
      keep();
      redraw();
    },
    async moderate(action, channel, user) {
      if ((await live(() => client[action](channel, user))) === REFUSED) return;
      const done = { kick: "kicked from", ban: "banned from", mute: "muted in" }[action];
      notice(`${user} was ${done} #${channel}.`, "info");
      await live(() => client.members(channel));
      await drawPeople();
    },
    async setRole(channel, user, role) {
      if ((await live(() => client.setRole(channel, user, role))) === REFUSED) return;
      await live(() => client.members(channel));
      await drawPeople();
    },
  };

  const offs = [
    client.on("state", (state) => {
      if (state !== "open") return;
      me = client.username ?? me;
      saved = { ...saved, username: me, token: client.token ?? saved.token };
      keep();
    }),
    client.on("memberships", ({ channels, invited }) => {
      // The server's list is the truth; who invited is known only for what came live.
      const inviters = new Map(store.invitations);
      store.invitations.clear();
      for (const channel of invited) store.invitations.set(channel, inviters.get(channel) ?? "");
      keep();
      const listed = new Set(channels.map(({ name }) => channelKey(name)));
      for (const conversation of store.list("channel")) {
        if (!listed.has(conversation.key)) store.remove(conversation.key);
      }
      for (const key of listed) store.conversation(key);
      if (store.open === undefined && listed.size > 0) void open([...listed].sort()[0]);
      redraw();
    }),
    client.on("message", (frame) => {
      store.add(channelKey(frame.to), [frame]);
      redrawSoon();
    }),
    client.on("directMessage", (frame) => {
      const peer = isOwn(frame, me) ? frame.to : frame.from;
      store.conversation(directKey(peer), peer);
      store.add(directKey(peer), [frame]);
      keep();
      redrawSoon();
    }),
    client.on("change", (change) => {
      store.change(change, me);
      redrawSoon();
    }),
    client.on("typing", (frame) => {
      const key = frame.to === me ? directKey(frame.from) : channelKey(frame.to);
      store.typing(key, frame.from, Date.now());
      if (store.open === key) drawTyping(store.typists(key, Date.now()));
      setTimeout(
        () => !disposed && store.open && drawTyping(store.typists(store.open, Date.now())),
        5_100,
      );
    }),
    ...(["member", "members", "memberCount"] as const).map((event) =>
      client.on(event, ({ channel, to }: { channel?: string; to?: string }) => {
        if (store.open === channelKey(channel ?? to ?? "")) void drawPeople();
      })
    ),
    client.on("joined", ({ to }) => {
      store.conversation(channelKey(to));
      redraw();
    }),
    client.on("left", ({ to, message }) => {
      if (deleting.has(to)) notice(`#${to} is deleted.`, "info");
      else if (message) notice(`You are no longer in #${to}: ${message}.`);
      deleting.delete(to);
      forgetChannel(to);
    }),
    client.on("invited", ({ to, from }) => {
      store.invitations.set(to, from);
      keep();
      notice(`${from} invited you to #${to}.`, "info");
      redraw();
    }),
  ];

  void client.ready().then(() => live(() => client.presence([me]))).then((found) => {
    if (found === REFUSED || found.length === 0) return;
    byId<HTMLSelectElement>("status-select").value = found[0].status;
    byId<HTMLInputElement>("status-text").value = found[0].text ?? "";
  }, () => {});
  redraw();
  void drawPeople();

  return {
    open,
    openDirect: (user) => open(directKey(user)).then(() => keep()),
    async send(text, data) {
      const conversation = openConversation();
      if (!conversation || conversation.system) return false;
      const extras = {
        ...(replyingTo ? { replyTo: replyingTo.id } : {}),
        ...(data ? { data } : {}),
      };
      const answering = replyingTo;
      replyingTo = undefined;
      const pending = store.addPending(conversation.key, me, text, extras);
      redraw();
      const id = await live(() =>
        conversation.kind === "channel"
          ? client.broadcast(conversation.name, text, extras)
          : client.directMessage(conversation.name, text, extras)
      );
      if (disposed) return true;
      // A refused reply stays a reply: its text comes back to the box, and what it answers with it.
      if (id === REFUSED && store.open === conversation.key) replyingTo ??= answering;
      store.settle(conversation.key, pending, id === REFUSED ? undefined : id);
      redraw();
      return id !== REFUSED;
    },
    cancelReply() {
      replyingTo = undefined;
      redraw();
    },
    typed() {
      const conversation = openConversation();
      if (!conversation || Date.now() - (typingSent.get(conversation.key) ?? 0) < TYPING_EVERY_MS) {
        return;
      }
      typingSent.set(conversation.key, Date.now());
      client.typing(conversation.name);
    },
    loadOlder: () => store.open ? loadOlder(store.open) : Promise.resolve(),
    async createChannel(name, isPrivate) {
      const created = await live(() => client.createChannel(name, { private: isPrivate }));
      if (created === REFUSED) return false;
      await open(channelKey(name));
      return true;
    },
    async publicChannels() {
      const found = await live(() => client.channels({ limit: 50 }));
      if (found !== REFUSED) drawPublicChannels(found.channels, actions);
    },
    async invite(user) {
      const open = openConversation();
      if (open?.kind !== "channel") return;
      if ((await live(() => client.invite(open.name, user))) === REFUSED) return;
      notice(`${user} is invited to #${open.name}.`, "info");
    },
    async leave() {
      const open = openConversation();
      if (open?.kind !== "channel") return;
      if ((await live(() => client.leave(open.name))) !== REFUSED) forgetChannel(open.name);
    },
    async deleteChannel() {
      const open = openConversation();
      if (open?.kind !== "channel") return;
      if (deleteArmed !== open.name) {
        deleteArmed = open.name;
        notice(
          `Select "Delete channel" again to delete #${open.name} and all its messages.`,
          "info",
        );
        return;
      }
      deleteArmed = undefined;
      deleting.add(open.name);
      if ((await live(() => client.deleteChannel(open.name))) === REFUSED) {
        deleting.delete(open.name);
      }
    },
    async setStatus(status, text) {
      await live(() => client.status(status, text || undefined));
    },
    dispose() {
      disposed = true;
      reading.dispose();
      for (const off of offs) off();
    },
  };
}
