/**
 * One Natter client: its socket, the requests of its API, and what it does
 * on its own to lose nothing: reconnect (at once after a restart close code,
 * with jittered exponential backoff otherwise), resume the inbox and rejoin
 * every channel with `since`, send again every unanswered frame with its
 * `ref`, read watched member lists again, drop what it already showed, and
 * refresh a JWT before it expires.
 *
 * @module
 */
import * as connecting from "./handshake.ts";
import { refreshDelay, refreshError } from "./jwt.ts";
import { MemberLists, type MembersPage, type PageQuery, readAllPages } from "./members.ts";
import { Outbox } from "./outbox.ts";
import { ResumePoints } from "./resume.ts";
import {
  type ChannelMember,
  type ClientEvents,
  type ClientFrame,
  type ClientState,
  type ConnectOptions,
  type HistoryMessage,
  type HistoryQuery,
  type MessageOptions,
  NatterError,
  type ServerFrameA,
  type UserPresence,
} from "./types.ts";

/** The `ref` of every `typing` frame: its refusal (the peer went offline) is dropped. */
const TYPING_REF = "typing";

type Handler<E extends keyof ClientEvents> = (payload: ClientEvents[E]) => void;

export class NatterClient {
  #state: ClientState = "connecting";
  #socket: WebSocket | undefined;
  #username: string | undefined;
  #token: string | undefined;
  #jwt: string | undefined;
  #connections = 0;
  #failures = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  #socketClosed: Promise<void> = Promise.resolve();
  readonly #options: ConnectOptions;
  readonly #handlers = new Map<keyof ClientEvents, Set<(payload: never) => void>>();
  readonly #outbox = new Outbox();
  readonly #points: ResumePoints;
  readonly #members = new MemberLists();

  constructor(options: ConnectOptions) {
    this.#options = options;
    ({ username: this.#username, token: this.#token, jwt: this.#jwt } = options);
    this.#points = new ResumePoints(options.since);
    this.#open();
  }

  get state(): ClientState {
    return this.#state;
  }

  /** The user's name, once the server said it. */
  get username(): string | undefined {
    return this.#username;
  }

  /** Anonymous mode: the token that brings this user back (pass it to `connect` after a reload). */
  get token(): string | undefined {
    return this.#token;
  }

  /** Resolves when the client is open; rejects if it closes first. */
  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#state === "open") return resolve();
      if (this.#state === "closed") return reject(new NatterError("closed", "client closed"));
      const off = this.on("state", (state) => {
        if (state === "open") resolve();
        else if (state === "closed") reject(new NatterError("closed", "client closed"));
        else return;
        off();
      });
    });
  }

  /** Calls `handler` on each `event`; returns a function that stops it. */
  on<E extends keyof ClientEvents>(event: E, handler: Handler<E>): () => void {
    const handlers = this.#handlers.get(event) ?? new Set();
    this.#handlers.set(event, handlers);
    handlers.add(handler as (payload: never) => void);
    return () => handlers.delete(handler as (payload: never) => void);
  }

  async join(channel: string): Promise<void> {
    await this.#request({ type: "joinChannel", to: channel });
    this.#points.join(channel);
  }

  async leave(channel: string): Promise<void> {
    await this.#request({ type: "leaveChannel", to: channel });
    this.#points.leave(channel);
    this.#members.forget(channel);
  }

  /** Publishes to `channel` (joining it); resolves with the stored message's id. */
  async broadcast(channel: string, text: string, extras: MessageOptions = {}): Promise<string> {
    const id = await this.#publish({ type: "broadcast", to: channel, message: text }, extras);
    this.#points.join(channel);
    return id;
  }

  /** Sends a direct message; resolves with the stored message's id. */
  directMessage(user: string, text: string, extras: MessageOptions = {}): Promise<string> {
    return this.#publish({ type: "directMessage", to: user, message: text }, extras);
  }

  /** Says the user is typing to a channel or user; dropped while not connected. */
  typing(to: string): void {
    if (this.#state === "open") this.#send({ type: "typing", to, ref: TYPING_REF });
  }

  /** A page of kept messages, oldest first: of a channel, or of the conversation `with` a user. */
  async history(query: HistoryQuery): Promise<HistoryMessage[]> {
    const { before, limit } = query;
    const target = "channel" in query ? { to: query.channel } : { with: query.with };
    const answer = await this.#request({ type: "history", ...target, before, limit });
    // Each is a message frame exactly as it was delivered live.
    return (answer as ServerFrameA<"history">).messages as HistoryMessage[];
  }

  /** Reads every member of `channel` and watches it: `memberList` stays current from then on. */
  async members(channel: string): Promise<ChannelMember[]> {
    const ask = (page: PageQuery) => this.#request({ type: "members", to: channel, ...page });
    this.#members.replace(
      channel,
      await readAllPages(ask as (q: PageQuery) => Promise<MembersPage>),
    );
    return this.#members.list(channel);
  }

  /** The live member list of a watched channel. */
  memberList(channel: string): ChannelMember[] {
    return this.#members.list(channel);
  }

  /** The member counts of a watched channel too large for per-member events. */
  memberCount(channel: string): { members: number; online: number } | undefined {
    return this.#members.counts(channel);
  }

  async status(status: "online" | "away", text?: string): Promise<void> {
    await this.#request({ type: "status", status, message: text });
  }

  async presence(users: string[]): Promise<UserPresence[]> {
    return ((await this.#request({ type: "presence", users })) as ServerFrameA<"presence">).users;
  }

  async channels(
    query: { prefix?: string; after?: string; limit?: number } = {},
  ): Promise<{ channels: { name: string; members: number }[]; next?: string }> {
    const answer = await this.#request({ type: "channels", ...query });
    const { channels, next } = answer as ServerFrameA<"channels">;
    return next === undefined ? { channels } : { channels, next };
  }

  async createChannel(channel: string, options: { private?: boolean } = {}): Promise<void> {
    await this.#request({ type: "createChannel", message: channel, ...options });
    this.#points.join(channel);
  }

  async invite(channel: string, user: string): Promise<void> {
    await this.#request({ type: "invite", to: channel, user });
  }

  async setRole(channel: string, user: string, role: "moderator" | "member"): Promise<void> {
    await this.#request({ type: "setRole", to: channel, user, role });
  }

  async kick(channel: string, user: string): Promise<void> {
    await this.#request({ type: "kick", to: channel, user });
  }

  async ban(channel: string, user: string, seconds?: number): Promise<void> {
    await this.#request({ type: "ban", to: channel, user, seconds });
  }

  async mute(channel: string, user: string, seconds?: number): Promise<void> {
    await this.#request({ type: "mute", to: channel, user, seconds });
  }

  async deleteChannel(channel: string): Promise<void> {
    await this.#request({ type: "deleteChannel", to: channel });
  }

  /** Closes for good: unanswered requests reject with code `closed`. */
  async close(): Promise<void> {
    this.#setState("closed");
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#refreshTimer);
    this.#outbox.rejectAll(new NatterError("closed", "client closed"));
    this.#socket?.close(1000);
    await this.#socketClosed;
  }

  /** Takes only `replyTo` and `data` of `extras`: a frame passed as options rewrites nothing. */
  async #publish(
    frame: ClientFrame<"broadcast" | "directMessage">,
    { replyTo, data }: MessageOptions,
  ): Promise<string> {
    return ((await this.#request({ ...frame, replyTo, data })) as ServerFrameA<"ack">).id!;
  }

  #request(frame: ClientFrame): Promise<ServerFrameA> {
    if (this.#state === "closed") {
      return Promise.reject(new NatterError("closed", "client closed"));
    }
    const { frame: withRef, answer } = this.#outbox.add(frame);
    // While not open, the frame waits: the next opening sends every unanswered frame.
    if (this.#state === "open") this.#send(withRef);
    return answer;
  }

  #send(frame: ClientFrame): void {
    this.#socket?.send(JSON.stringify(frame));
  }

  #emit<E extends keyof ClientEvents>(event: E, payload: ClientEvents[E]): void {
    for (const handler of this.#handlers.get(event) ?? []) {
      (handler as Handler<E>)(payload);
    }
  }

  #setState(state: ClientState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#emit("state", state);
  }

  async #open(): Promise<void> {
    this.#connections++;
    if (this.#options.getToken && this.#connections > 1) {
      try {
        this.#jwt = await this.#options.getToken();
      } catch {
        return this.#reconnectLater(false);
      }
      if (this.#state === "closed") return;
    }
    const url = connecting.handshakeUrl(
      connecting.urlAt(this.#options.url, this.#connections - 1),
      {
        jwt: this.#jwt,
        token: this.#token,
        username: this.#username,
        since: this.#points.inboxSince(),
      },
    );
    const WebSocketImpl = this.#options.WebSocket ?? WebSocket;
    const socket = new WebSocketImpl(url);
    this.#socket = socket;
    this.#socketClosed = new Promise((resolve) => {
      socket.onclose = (event) => {
        resolve();
        // A runtime may report one close twice; a replaced socket's close is old news.
        if (this.#socket !== socket) return;
        this.#socket = undefined;
        this.#closedBy(event.code);
      };
    });
    socket.onmessage = (event) => {
      if (this.#socket !== socket || typeof event.data !== "string") return;
      this.#receive(JSON.parse(event.data) as ServerFrameA);
    };
  }

  #closedBy(code: number): void {
    if (this.#state === "closed") return;
    clearTimeout(this.#refreshTimer);
    const anonymousWithName = this.#jwt === undefined && this.#username !== undefined;
    const final = connecting.FINAL_CLOSE_CODES.has(code) ||
      (code === 4004 && !anonymousWithName) ||
      (code === 4001 && !this.#options.getToken);
    if (final) {
      this.#setState("closed");
      this.#outbox.rejectAll(new NatterError("closed", `connection closed with ${code}`));
      return;
    }
    this.#reconnectLater(connecting.RESTART_CLOSE_CODES.has(code));
  }

  #reconnectLater(atOnce: boolean): void {
    if (this.#state === "closed") return;
    this.#setState(this.#connections === 0 ? "connecting" : "reconnecting");
    const delay = atOnce ? 0 : connecting.backoffDelay(this.#options.backoff, this.#failures++);
    this.#reconnectTimer = setTimeout(() => this.#open(), delay);
  }

  #receive(frame: ServerFrameA): void {
    switch (frame.type) {
      case "sessionID":
        if (frame.token) this.#token = frame.token;
        this.#username = frame.username;
        this.#points.opened(frame.sessionID);
        return;
      case "memberships":
        return this.#restore(frame);
      case "broadcast":
        if (this.#points.acceptChannel(frame)) this.#emit("message", frame);
        return;
      case "directMessage":
      case "sessionUpdate":
        if (this.#points.acceptInbox(frame)) {
          this.#emit("directMessage", {
            ...frame,
            type: "directMessage",
            copy: frame.type === "sessionUpdate",
          });
        }
        return;
      case "ack":
        this.#outbox.settle(frame);
        return this.#emit("ack", frame);
      case "error":
        if (!this.#outbox.settle(frame) && frame.ref !== TYPING_REF) this.#emit("error", frame);
        return;
      case "history":
      case "members":
      case "channels":
      case "presence":
        this.#outbox.settle(frame);
        return;
      case "member":
        this.#members.apply(frame);
        return this.#emit("member", frame);
      case "memberCount":
        this.#members.count(frame);
        return this.#emit("memberCount", frame);
      case "joined":
        this.#points.join(frame.to);
        return this.#emit("joined", frame);
      case "left":
        this.#points.leave(frame.to);
        this.#members.forget(frame.to);
        return this.#emit("left", frame);
      case "invited":
        return this.#emit("invited", frame);
      case "typing":
        return this.#emit("typing", frame);
    }
  }

  /**
   * The handshake is over: rejoin the user's channels with `since` when they
   * are not live yet, send every unanswered frame again with its `ref`, read
   * the watched member lists again, and only then accept new sends directly.
   */
  #restore(frame: ServerFrameA<"memberships">): void {
    const listed = new Set(frame.channels.map(({ name }) => name));
    for (const channel of this.#points.channels()) {
      if (!listed.has(channel)) this.#points.leave(channel);
    }
    for (const { name, last } of frame.channels) {
      this.#points.join(name, frame.live ? last : undefined);
      if (!frame.live) {
        this.#send({ type: "joinChannel", to: name, since: this.#points.channelSince(name) });
      }
    }
    for (const unanswered of this.#outbox.unanswered()) this.#send(unanswered);
    this.#failures = 0;
    this.#setState("open");
    this.#emit("memberships", frame);
    for (const channel of this.#members.watched()) {
      this.members(channel).then(
        (members) => this.#emit("members", { channel, members }),
        () => {},
      );
    }
    this.#scheduleRefresh();
  }

  /** JWT mode with `getToken`: a fresh token is sent before this one expires. */
  #scheduleRefresh(): void {
    const getToken = this.#options.getToken;
    const delay = refreshDelay(this.#jwt);
    if (!getToken || delay === undefined) return;
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = setTimeout(async () => {
      try {
        const token = await getToken();
        await this.#request({ type: "refresh", token });
        this.#jwt = token;
        this.#scheduleRefresh();
      } catch (error) {
        if (this.#state !== "closed") this.#emit("error", refreshError(error));
      }
    }, delay);
  }
}
