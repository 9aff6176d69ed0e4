/**
 * What a client does on its own to lose nothing, under the API of
 * `client.ts`: one socket at a time, reconnected (at once after a restart
 * close code, with jittered exponential backoff otherwise); on each opening
 * the inbox resumed and every channel rejoined with `since`, every
 * unanswered frame sent again with its `ref`, and the watched member lists
 * read again; each frame received turned into the application's events,
 * dropping what it already showed and keeping the member lists, read
 * positions and unread counts current; and a JWT refreshed before it expires.
 *
 * @module
 */
import * as connecting from "./handshake.ts";
import { refreshDelay, refreshError } from "./jwt.ts";
import { MemberLists, type MembersPage, type PageQuery, readAllPages } from "./members.ts";
import { conversationOf } from "./messages.ts";
import { Outbox } from "./outbox.ts";
import { ReadPositions } from "./reads.ts";
import { ResumePoints } from "./resume.ts";
import {
  type ChannelMember,
  type ClientEvents,
  type ClientFrame,
  type ClientState,
  type ConnectOptions,
  NatterError,
  type ServerFrameA,
} from "./types.ts";

/** The `ref` of every `typing` frame: its refusal (the peer went offline) is dropped. */
export const TYPING_REF = "typing";

type Handler<E extends keyof ClientEvents> = (payload: ClientEvents[E]) => void;

export class Connection {
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
  /** The newest id shown per channel and for the inbox; the channels the user is in. */
  readonly points: ResumePoints;
  /** The watched channels' member lists. */
  readonly members = new MemberLists();
  /** Read positions and unread counts. */
  readonly reads = new ReadPositions((event, payload) => this.#emit(event, payload));

  constructor(options: ConnectOptions) {
    this.#options = options;
    ({ username: this.#username, token: this.#token, jwt: this.#jwt } = options);
    this.points = new ResumePoints(options.since);
    this.#open();
  }

  get state(): ClientState {
    return this.#state;
  }

  get username(): string | undefined {
    return this.#username;
  }

  get token(): string | undefined {
    return this.#token;
  }

  /** Calls `handler` on each `event`; returns a function that stops it. */
  on<E extends keyof ClientEvents>(event: E, handler: Handler<E>): () => void {
    const handlers = this.#handlers.get(event) ?? new Set();
    this.#handlers.set(event, handlers);
    handlers.add(handler as (payload: never) => void);
    return () => handlers.delete(handler as (payload: never) => void);
  }

  /** Sends `frame` with a new `ref`, now or at the next opening; settles with its answer. */
  request(frame: ClientFrame): Promise<ServerFrameA> {
    if (this.#state === "closed") {
      return Promise.reject(new NatterError("closed", "client closed"));
    }
    const { frame: withRef, answer } = this.#outbox.add(frame);
    // While not open, the frame waits: the next opening sends every unanswered frame.
    if (this.#state === "open") this.send(withRef);
    return answer;
  }

  /** Sends `frame` as it is, if a socket is there: for what needs no answer. */
  send(frame: ClientFrame): void {
    this.#socket?.send(JSON.stringify(frame));
  }

  /** Reads every member of `channel` and watches it from then on. */
  async readMembers(channel: string): Promise<ChannelMember[]> {
    const ask = (page: PageQuery) => this.request({ type: "members", to: channel, ...page });
    this.members.replace(
      channel,
      await readAllPages(ask as (q: PageQuery) => Promise<MembersPage>),
    );
    return this.members.list(channel);
  }

  /** The user is no longer in `channel`. */
  left(channel: string): void {
    this.points.leave(channel);
    this.members.forget(channel);
    this.reads.forget(channel);
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
        since: this.points.inboxSince(),
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
    const me = this.#username ?? "";
    switch (frame.type) {
      case "sessionID":
        if (frame.token) this.#token = frame.token;
        this.#username = frame.username;
        this.points.opened(frame.sessionID);
        return;
      case "memberships":
        return this.#restore(frame);
      case "broadcast":
        if (!this.points.acceptChannel(frame)) return;
        this.#emit("message", frame);
        // Counted after the event: an application that marks it read has shown it.
        return this.reads.message(frame, me);
      case "directMessage":
      case "sessionUpdate":
        if (!this.points.acceptInbox(frame)) return;
        this.#emit("directMessage", {
          ...frame,
          type: "directMessage",
          copy: frame.type === "sessionUpdate",
        });
        return this.reads.message(frame, me);
      case "messageEdited":
      case "messageDeleted":
      case "reaction":
        // A change has its own id in the order of its channel, or of the inbox.
        if (frame.direct ? this.points.acceptInbox(frame) : this.points.acceptChannel(frame)) {
          this.#emit("change", { ...frame, conversation: conversationOf(frame, me) });
        }
        return;
      case "readReceipt":
        if (!frame.direct) this.members.read(frame.to, frame.from, frame.id);
        return this.reads.receive(frame, me);
      case "readState":
      case "read":
        return this.reads.receive(frame, me);
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
        this.members.apply(frame);
        return this.#emit("member", frame);
      case "memberCount":
        this.members.count(frame);
        return this.#emit("memberCount", frame);
      case "joined":
        this.points.join(frame.to);
        return this.#emit("joined", frame);
      case "left":
        this.left(frame.to);
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
    for (const channel of this.points.channels()) {
      if (!listed.has(channel)) this.points.leave(channel);
    }
    for (const { name, last } of frame.channels) {
      this.points.join(name, frame.live ? last : undefined);
      if (!frame.live) {
        this.send({ type: "joinChannel", to: name, since: this.points.channelSince(name) });
      }
    }
    for (const unanswered of this.#outbox.unanswered()) this.send(unanswered);
    this.#failures = 0;
    this.#setState("open");
    this.#emit("memberships", frame);
    for (const channel of this.members.watched()) {
      this.readMembers(channel).then(
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
        await this.request({ type: "refresh", token });
        this.#jwt = token;
        this.#scheduleRefresh();
      } catch (error) {
        if (this.#state !== "closed") this.#emit("error", refreshError(error));
      }
    }, delay);
  }
}
