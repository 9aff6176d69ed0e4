/// <reference no-default-lib="true" />
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/// <reference lib="esnext" />
/**
 * Natter's chat web app, served at `/` and built on the client SDK: sign-in,
 * channels (public, private, invitations), direct messages (to users online
 * or not), history, members and status, typing, moderation, and the state of
 * the connection. The SDK keeps the session across disconnects; this module
 * turns its events into the app's state and the user's actions into requests.
 *
 * @module
 */
import { type ChannelRole, connect, NatterClient, NatterError } from "../src/client/mod.ts";
import { byId, h } from "./dom.ts";
import {
  channelKey,
  type Conversation,
  type ConversationKey,
  directKey,
  type MessageFrame,
  Store,
} from "./store.ts";
import {
  type Actions,
  drawConversationHead,
  drawConversationLists,
  drawMembers,
  drawMessages,
  drawPublicChannels,
  drawTyping,
} from "./views.ts";
import { forgetSession, loadSession, type Saved, saveSession } from "./session.ts";

/** What `/` answers a request for JSON: where the WebSocket is, and how users sign in. */
interface ServerInfo {
  websocket: string;
  auth: "anonymous" | "jwt";
}

const HISTORY_PAGE = 50;
/** At most one typing notice per conversation this often. */
const TYPING_EVERY_MS = 3_000;

const store = new Store();
let client: NatterClient | undefined;
let me = "";
let info: ServerInfo;
let lastTypingSent = 0;
let deleteArmed: string | undefined;

const CONNECTION_TEXT = {
  connecting: "Connecting…",
  open: "Connected",
  reconnecting: "Reconnecting… messages you send will go out when the connection is back",
  closed: "Disconnected",
} as const;

function notice(text: string, kind: "error" | "info" = "error"): void {
  const item = h("p", { class: `notice ${kind}` }, text);
  byId("notices").append(item);
  setTimeout(() => item.remove(), 8_000);
}

function describe(error: unknown): string {
  if (error instanceof NatterError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** What `attempt` gives for a refused request. */
const REFUSED = Symbol("refused");

/** Runs a request the user asked for; a refusal is shown in words. */
async function attempt<T>(request: () => Promise<T>): Promise<T | typeof REFUSED> {
  try {
    return await request();
  } catch (error) {
    notice(describe(error));
    return REFUSED;
  }
}

function redraw(): void {
  drawConversationLists(store, actions);
  const open = store.open === undefined ? undefined : store.conversation(store.open);
  drawConversationHead(open, myRole(open), actions);
  drawMessages(open);
  drawTyping(store.open ? store.typists(store.open, Date.now()) : []);
  byId<HTMLTextAreaElement>("message").disabled = !open;
  byId<HTMLButtonElement>("send").disabled = !open;
  const unread = [...store.conversations.values()].reduce((sum, c) => sum + c.unread, 0);
  document.title = unread > 0 ? `(${unread}) Natter` : "Natter";
}

async function redrawMembers(): Promise<void> {
  const open = store.open === undefined ? undefined : store.conversation(store.open);
  byId("toggle-members").hidden = !open;
  if (!open || !client) return drawMembers(undefined, [], undefined, me, actions);
  if (open.kind === "channel") {
    const list = client.memberList(open.name);
    drawMembers(open.name, list, client.memberCount(open.name), me, actions);
  } else {
    const users = await attempt(() => client!.presence([open.name]));
    if (users !== REFUSED && store.open === open.key) {
      drawMembers(undefined, users, undefined, me, actions);
    }
  }
  drawConversationHead(open, myRole(open), actions);
}

/** The user's role in the open channel, as its member list last said. */
function myRole(open: Conversation | undefined): ChannelRole | undefined {
  if (open?.kind !== "channel") return undefined;
  return client?.memberList(open.name).find((member) => member.name === me)?.role;
}

async function loadOlder(key: ConversationKey): Promise<void> {
  const conversation = store.conversation(key);
  const before = conversation.loaded
    ? conversation.messages.find((message) => !message.pending)?.id
    : undefined;
  const target = conversation.kind === "channel"
    ? { channel: conversation.name }
    : { with: conversation.name };
  const page = await attempt(() => client!.history({ ...target, before, limit: HISTORY_PAGE }));
  if (page === REFUSED) return;
  store.add(key, page as unknown as MessageFrame[], me, false);
  conversation.loaded = true;
  conversation.complete = page.length < HISTORY_PAGE;
  if (store.open === key) redraw();
}

async function openConversation(key: ConversationKey): Promise<void> {
  const conversation = store.select(key);
  document.body.classList.remove("show-channels");
  redraw();
  if (conversation.kind === "direct") rememberDirect(conversation.name);
  if (!conversation.loaded) await loadOlder(key);
  if (conversation.kind === "channel") await attempt(() => client!.members(conversation.name));
  if (store.open === key) await redrawMembers();
}

function rememberDirect(user: string): void {
  const saved = loadSession();
  if (!saved || saved.directs.includes(user)) return;
  saveSession({ ...saved, directs: [...saved.directs, user] });
}

function directFrame(frame: MessageFrame): void {
  const peer = frame.from === me ? frame.to : frame.from;
  store.add(directKey(peer), [frame], me, true);
  rememberDirect(peer);
  redraw();
}

const actions: Actions = {
  open: (key) => void openConversation(key),
  async joinChannel(name) {
    if ((await attempt(() => client!.join(name))) === REFUSED) return;
    store.invitations.delete(name);
    closeNewChannel();
    await openConversation(channelKey(name));
  },
  declineInvitation(name) {
    store.invitations.delete(name);
    redraw();
  },
  async leave(name) {
    if ((await attempt(() => client!.leave(name))) === REFUSED) return;
    store.remove(channelKey(name));
    redraw();
    await redrawMembers();
  },
  async deleteChannel(name) {
    if (deleteArmed !== name) {
      deleteArmed = name;
      notice(`Select "Delete channel" again to delete #${name} and all its messages.`, "info");
      setTimeout(() => deleteArmed = deleteArmed === name ? undefined : deleteArmed, 8_000);
      return;
    }
    deleteArmed = undefined;
    await attempt(() => client!.deleteChannel(name));
  },
  async invite(channel, user) {
    if ((await attempt(() => client!.invite(channel, user))) === REFUSED) return;
    notice(`${user} is invited to #${channel}.`, "info");
  },
  async moderate(action, channel, user) {
    if ((await attempt(() => client![action](channel, user))) === REFUSED) return;
    const done = { kick: "kicked from", ban: "banned from", mute: "muted in" }[action];
    notice(`${user} was ${done} #${channel}.`, "info");
    await attempt(() => client!.members(channel));
    await redrawMembers();
  },
  async setRole(channel, user, role) {
    if ((await attempt(() => client!.setRole(channel, user, role))) === REFUSED) return;
    await attempt(() => client!.members(channel));
    await redrawMembers();
  },
};

function wire(current: NatterClient): void {
  current.on("state", (state) => {
    byId("connection").textContent = state === "open"
      ? `${CONNECTION_TEXT.open} as ${current.username}`
      : CONNECTION_TEXT[state];
    document.body.dataset.connection = state;
  });
  current.on("memberships", ({ channels }) => {
    const listed = new Set(channels.map(({ name }) => channelKey(name)));
    for (const conversation of store.list("channel")) {
      if (!listed.has(conversation.key)) store.remove(conversation.key);
    }
    for (const key of listed) store.conversation(key);
    if (store.open === undefined && listed.size > 0) {
      void openConversation([...listed].sort()[0]);
    }
    redraw();
  });
  current.on("message", (frame) => {
    store.add(channelKey(frame.to), [frame], me, true);
    redraw();
  });
  current.on("directMessage", (frame) => directFrame(frame));
  current.on("typing", (frame) => {
    const key = frame.to === me ? directKey(frame.from) : channelKey(frame.to);
    store.typing(key, frame.from, Date.now());
    if (store.open === key) drawTyping(store.typists(key, Date.now()));
    setTimeout(() => store.open && drawTyping(store.typists(store.open, Date.now())), 5_100);
  });
  for (const event of ["member", "members", "memberCount"] as const) {
    current.on(event, () => void redrawMembers());
  }
  current.on("joined", ({ to }) => {
    store.conversation(channelKey(to));
    redraw();
  });
  current.on("left", ({ to, message }) => {
    store.remove(channelKey(to));
    if (message) notice(`You are no longer in #${to}: ${message}.`);
    redraw();
    void redrawMembers();
  });
  current.on("invited", ({ to, from }) => {
    store.invitations.set(to, from);
    notice(`${from} invited you to #${to}.`, "info");
    redraw();
  });
  current.on("error", (frame) => notice(frame.message || frame.code));
}

function showSignIn(error = ""): void {
  byId("chat").hidden = true;
  byId("me").hidden = true;
  byId("signin").hidden = false;
  byId("signin-error").textContent = error;
  byId("connection").textContent = "Signed out";
  const jwt = info.auth === "jwt";
  byId("signin-username").hidden = jwt;
  byId("signin-token").hidden = !jwt;
  byId<HTMLInputElement>("username").required = !jwt;
  byId("signin-intro").textContent = jwt
    ? "Paste the token your application gave you."
    : "Pick a name: it is yours while you are signed in, and for a while after.";
  byId(jwt ? "jwt" : "username").focus();
}

async function signIn(saved: Saved): Promise<void> {
  const url = `${
    location.protocol === "https:" ? "wss" : "ws"
  }://${location.host}${info.websocket}`;
  const current = connect({ url, username: saved.username, token: saved.token, jwt: saved.jwt });
  let refusal = "";
  const stopListening = current.on("error", (frame) => refusal = frame.message || frame.code);
  client = current;
  wire(current);
  try {
    await current.ready();
  } catch {
    client = undefined;
    forgetSession();
    return showSignIn(refusal || "Could not sign in: the server closed the connection.");
  }
  stopListening();
  me = current.username ?? "";
  saveSession({ ...saved, username: me, token: current.token ?? saved.token });
  for (const user of loadSession()?.directs ?? []) store.conversation(directKey(user));
  current.on("state", (state) => {
    if (state === "closed" && client === current) {
      client = undefined;
      showSignIn("You were signed out: the server closed the connection for good.");
    }
  });
  byId("signin").hidden = true;
  byId("chat").hidden = false;
  byId("me").hidden = false;
  byId("me-name").textContent = me;
  redraw();
  await redrawMembers();
}

function listen(): void {
  byId("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const jwt = byId<HTMLTextAreaElement>("jwt").value.trim();
    const username = byId<HTMLInputElement>("username").value.trim();
    void signIn(info.auth === "jwt" ? { jwt, directs: [] } : { username, directs: [] });
  });
  byId("sign-out").addEventListener("click", async () => {
    const current = client;
    client = undefined;
    forgetSession();
    store.conversations.clear();
    store.invitations.clear();
    store.open = undefined;
    await current?.close();
    showSignIn();
  });
  const box = byId<HTMLTextAreaElement>("message");
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      byId<HTMLFormElement>("composer").requestSubmit();
    }
  });
  box.addEventListener("input", () => {
    const open = store.open && store.conversation(store.open);
    if (!open || !client || Date.now() - lastTypingSent < TYPING_EVERY_MS) return;
    lastTypingSent = Date.now();
    client.typing(open.name);
  });
  byId("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    void send(box);
  });
  byId("older").addEventListener("click", () => store.open && loadOlder(store.open));
  byId("new-channel").addEventListener("click", () => void toggleNewChannel());
  byId("new-channel-form").addEventListener("submit", (event) => {
    event.preventDefault();
    void createChannel();
  });
  byId("new-direct-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const field = byId<HTMLInputElement>("new-direct-name");
    const user = field.value.trim();
    field.value = "";
    if (user) void openConversation(directKey(user));
  });
  byId("status-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const status = byId<HTMLSelectElement>("status-select").value as "online" | "away";
    const text = byId<HTMLInputElement>("status-text").value.trim();
    void attempt(() => client!.status(status, text || undefined));
  });
  for (
    const [button, shown] of [["toggle-channels", "show-channels"], [
      "toggle-members",
      "show-members",
    ]]
  ) {
    byId(button).addEventListener("click", () => {
      const on = document.body.classList.toggle(shown);
      byId(button).setAttribute("aria-expanded", String(on));
    });
  }
}

async function send(box: HTMLTextAreaElement): Promise<void> {
  const text = box.value.trim();
  const key = store.open;
  if (!text || !key || !client) return;
  const conversation = store.conversation(key);
  box.value = "";
  const pending = store.addPending(key, me, text);
  redraw();
  const id = await attempt(() =>
    conversation.kind === "channel"
      ? client!.broadcast(conversation.name, text)
      : client!.directMessage(conversation.name, text)
  );
  store.settle(key, pending, id === REFUSED ? undefined : id);
  if (id === REFUSED && !box.value) box.value = text;
  redraw();
}

async function toggleNewChannel(): Promise<void> {
  const panel = byId("new-channel-panel");
  panel.hidden = !panel.hidden;
  byId("new-channel").setAttribute("aria-expanded", String(!panel.hidden));
  if (panel.hidden) return;
  byId("new-channel-name").focus();
  const found = await attempt(() => client!.channels({ limit: 50 }));
  if (found !== REFUSED) drawPublicChannels(found.channels, actions);
}

async function createChannel(): Promise<void> {
  const field = byId<HTMLInputElement>("new-channel-name");
  const privateBox = byId<HTMLInputElement>("new-channel-private");
  const name = field.value.trim();
  if (!name) return;
  const created = await attempt(() => client!.createChannel(name, { private: privateBox.checked }));
  if (created === REFUSED) return;
  field.value = "";
  privateBox.checked = false;
  closeNewChannel();
  await openConversation(channelKey(name));
}

function closeNewChannel(): void {
  byId("new-channel-panel").hidden = true;
  byId("new-channel").setAttribute("aria-expanded", "false");
}

async function start(): Promise<void> {
  info = await (await fetch("/", { headers: { accept: "application/json" } })).json();
  listen();
  const saved = loadSession();
  if (saved) await signIn(saved);
  else showSignIn();
}

void start();
