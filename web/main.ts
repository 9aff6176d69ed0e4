/// <reference no-default-lib="true" />
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/// <reference lib="esnext" />
/**
 * Natter's chat web app, served at `/` and built on the client SDK: sign-in,
 * channels (public, private, invitations), direct messages (to users online
 * or not), history, members and status, typing, moderation, and the state of
 * the connection. This module is the page's life: reading how the server
 * signs users in, signing in and out (each user's chat made and disposed of
 * whole, see `chat.ts`), and the page's own controls.
 *
 * @module
 */
import { connect, type NatterClient } from "../src/client/mod.ts";
import { type Chat, createChat } from "./chat.ts";
import { byId } from "./dom.ts";
import { clearNotices } from "./notices.ts";
import { departedToken, forgetSession, loadSession, type Saved } from "./session.ts";

/** What `/` answers a request for JSON: where the WebSocket is, and how users sign in. */
interface ServerInfo {
  websocket: string;
  auth: "anonymous" | "jwt";
}

const CONNECTION_TEXT = {
  connecting: "Connecting…",
  open: "Connected",
  reconnecting: "Reconnecting… messages you send will go out when the connection is back",
  closed: "Disconnected",
} as const;

let info: ServerInfo;
/** The signed-in user's client and chat; both are replaced at each sign-in. */
let session: { client: NatterClient; chat?: Chat; offs: (() => void)[] } | undefined;

function showSignIn(error = ""): void {
  byId("chat").hidden = true;
  byId("me").hidden = true;
  byId("signin").hidden = false;
  byId("signin-error").textContent = error;
  byId("connection").textContent = "Signed out";
  byId<HTMLButtonElement>("sign-in").disabled = false;
  const jwt = info.auth === "jwt";
  byId("signin-username").hidden = jwt;
  byId("signin-token").hidden = !jwt;
  byId<HTMLInputElement>("username").required = !jwt;
  byId("signin-intro").textContent = jwt
    ? "Paste the token your application gave you."
    : "Pick a name: it is yours while you are signed in, and for a while after.";
  byId(jwt ? "jwt" : "username").focus();
}

/** Ends the current session, whatever ended it: nothing of it reaches the next one. */
async function endSession(error = ""): Promise<void> {
  const ended = session;
  session = undefined;
  forgetSession();
  if (ended) {
    ended.chat?.dispose();
    for (const off of ended.offs) off();
    await ended.client.close();
  }
  byId<HTMLTextAreaElement>("message").value = "";
  document.title = "Natter";
  showSignIn(error);
}

async function signIn(saved: Saved): Promise<void> {
  const url = `${
    location.protocol === "https:" ? "wss" : "ws"
  }://${location.host}${info.websocket}`;
  const client = connect({ url, username: saved.username, token: saved.token, jwt: saved.jwt });
  const current: NonNullable<typeof session> = { client, offs: [] };
  session = current;
  let refusal = "";
  const stopRefusals = client.on("error", (frame) => refusal = frame.message || frame.code);
  current.offs.push(
    stopRefusals,
    client.on("state", (state) => {
      byId("connection").textContent = state === "open"
        ? `${CONNECTION_TEXT.open} as ${client.username}`
        : CONNECTION_TEXT[state];
      document.body.dataset.connection = state;
    }),
  );
  current.chat = createChat(client, saved);
  try {
    await client.ready();
  } catch {
    if (session === current) {
      await endSession(refusal || "Could not sign in: the server closed the connection.");
    }
    return;
  }
  if (session !== current) return;
  stopRefusals();
  current.offs.push(client.on("state", (state) => {
    if (state === "closed" && session === current) {
      void endSession("You were signed out: the server closed the connection for good.");
    }
  }));
  clearNotices();
  byId("signin").hidden = true;
  byId("chat").hidden = false;
  byId("me").hidden = false;
  byId("me-name").textContent = client.username ?? "";
}

function listen(): void {
  byId("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const button = byId<HTMLButtonElement>("sign-in");
    if (button.disabled) return; // A second Enter while the first sign-in is on its way.
    button.disabled = true;
    byId("signin-error").textContent = "";
    const fresh = { directs: [], invitations: {} };
    if (info.auth === "jwt") {
      void signIn({ ...fresh, jwt: byId<HTMLTextAreaElement>("jwt").value.trim() });
    } else {
      const username = byId<HTMLInputElement>("username").value.trim();
      void signIn({ ...fresh, username, token: departedToken(username) });
    }
  });
  byId("sign-out").addEventListener("click", () => void endSession());
  const chat = () => session?.chat;
  const box = byId<HTMLTextAreaElement>("message");
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      byId<HTMLFormElement>("composer").requestSubmit();
    }
  });
  box.addEventListener("input", () => chat()?.typed());
  byId("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = box.value.trim();
    if (!text || !chat()) return;
    box.value = "";
    const data = attachedLink();
    // A refused message comes back to the box, unless the user started another.
    const sent = await chat()!.send(text, data);
    if (!sent && !box.value) box.value = text;
    if (sent && data) toggleAttach(false);
  });
  byId("cancel-reply").addEventListener("click", () => chat()?.cancelReply());
  byId("attach-toggle").addEventListener(
    "click",
    () => toggleAttach(byId("attach").hidden === true),
  );
  byId("older").addEventListener("click", () => void chat()?.loadOlder());
  byId("new-channel").addEventListener("click", () => {
    const panel = byId("new-channel-panel");
    panel.hidden = !panel.hidden;
    byId("new-channel").setAttribute("aria-expanded", String(!panel.hidden));
    if (panel.hidden) return;
    byId("new-channel-name").focus();
    void chat()?.publicChannels();
  });
  onSubmit("new-channel-form", async () => {
    const field = byId<HTMLInputElement>("new-channel-name");
    const privateBox = byId<HTMLInputElement>("new-channel-private");
    if (
      !field.value.trim() || !(await chat()?.createChannel(field.value.trim(), privateBox.checked))
    ) {
      return;
    }
    field.value = "";
    privateBox.checked = false;
    byId("new-channel-panel").hidden = true;
    byId("new-channel").setAttribute("aria-expanded", "false");
  });
  onSubmit("new-direct-form", async () => {
    const field = byId<HTMLInputElement>("new-direct-name");
    const user = field.value.trim();
    field.value = "";
    if (user) await chat()?.openDirect(user);
  });
  onSubmit("invite-form", async () => {
    const field = byId<HTMLInputElement>("invite-name");
    const user = field.value.trim();
    field.value = "";
    if (user) await chat()?.invite(user);
  });
  byId("leave-channel").addEventListener("click", () => void chat()?.leave());
  byId("delete-channel").addEventListener("click", () => void chat()?.deleteChannel());
  onSubmit("status-form", async () => {
    const status = byId<HTMLSelectElement>("status-select").value as "online" | "away";
    await chat()?.setStatus(status, byId<HTMLInputElement>("status-text").value.trim());
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

/** The link to send with the next message, as its `data.attachment`, if one is filled in. */
function attachedLink(): Record<string, unknown> | undefined {
  if (byId("attach").hidden) return undefined;
  const url = byId<HTMLInputElement>("attach-url").value.trim();
  const name = byId<HTMLInputElement>("attach-name").value.trim();
  return url ? { attachment: { url, name: name || url } } : undefined;
}

function toggleAttach(open: boolean): void {
  byId("attach").hidden = !open;
  byId("attach-toggle").setAttribute("aria-expanded", String(open));
  byId<HTMLInputElement>("attach-url").value = "";
  byId<HTMLInputElement>("attach-name").value = "";
  if (open) byId("attach-url").focus();
}

function onSubmit(form: string, act: () => Promise<void>): void {
  byId(form).addEventListener("submit", (event) => {
    event.preventDefault();
    void act();
  });
}

async function start(): Promise<void> {
  try {
    const answer = await fetch("/", { headers: { accept: "application/json" } });
    info = await answer.json();
  } catch {
    byId("connection").textContent = "Cannot reach the server: reload the page to try again.";
    return;
  }
  listen();
  const saved = loadSession();
  if (saved) await signIn(saved);
  else showSignIn();
}

void start();
