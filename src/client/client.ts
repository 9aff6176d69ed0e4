/**
 * One Natter client: the requests of its API, each a frame whose answer
 * settles its promise, and the state it keeps current (member lists, read
 * positions). What it does on its own to lose nothing across disconnects
 * (reconnect, resume, re-send, refresh) is the connection's: see
 * `connection.ts`.
 *
 * @module
 */
import { Connection, TYPING_REF } from "./connection.ts";
import { conversationKey, oneAtATime, placeKeys } from "./messages.ts";
import {
  type ChannelMember,
  type ClientEvents,
  type ClientFrame,
  type ClientState,
  type ConnectOptions,
  type Conversation,
  type HistoryMessage,
  type HistoryQuery,
  type MessageOptions,
  NatterError,
  type ReadPosition,
  type ServerFrameA,
  type UserPresence,
} from "./types.ts";

export class NatterClient {
  readonly #connection: Connection;

  constructor(options: ConnectOptions) {
    this.#connection = new Connection(options);
  }

  get state(): ClientState {
    return this.#connection.state;
  }

  /** The user's name, once the server said it. */
  get username(): string | undefined {
    return this.#connection.username;
  }

  /** Anonymous mode: the token that brings this user back (pass it to `connect` after a reload). */
  get token(): string | undefined {
    return this.#connection.token;
  }

  /** Resolves when the client is open; rejects if it closes first. */
  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.state === "open") return resolve();
      if (this.state === "closed") return reject(new NatterError("closed", "client closed"));
      const off = this.on("state", (state) => {
        if (state === "open") resolve();
        else if (state === "closed") reject(new NatterError("closed", "client closed"));
        else return;
        off();
      });
    });
  }

  /** Calls `handler` on each `event`; returns a function that stops it. */
  on<E extends keyof ClientEvents>(
    event: E,
    handler: (payload: ClientEvents[E]) => void,
  ): () => void {
    return this.#connection.on(event, handler);
  }

  async join(channel: string): Promise<void> {
    await this.#request({ type: "joinChannel", to: channel });
    this.#connection.points.join(channel);
  }

  async leave(channel: string): Promise<void> {
    await this.#request({ type: "leaveChannel", to: channel });
    this.#connection.left(channel);
  }

  /** Publishes to `channel` (joining it); resolves with the stored message's id. */
  async broadcast(channel: string, text: string, extras: MessageOptions = {}): Promise<string> {
    const id = await this.#publish({ type: "broadcast", to: channel, message: text }, extras);
    this.#connection.points.join(channel);
    return id;
  }

  /** Sends a direct message; resolves with the stored message's id. */
  async directMessage(user: string, text: string, extras: MessageOptions = {}): Promise<string> {
    const id = await this.#publish({ type: "directMessage", to: user, message: text }, extras);
    // No copy comes back to the sending session: its own message marks the conversation read here.
    this.#connection.reads.sent({ with: user }, id);
    return id;
  }

  /** Says the user is typing to a channel or user; dropped while not connected. */
  typing(to: string): void {
    const connection = this.#connection;
    if (connection.state === "open") connection.send({ type: "typing", to, ref: TYPING_REF });
  }

  /** A page of kept messages, oldest first: of a channel, or of the conversation `with` a user. */
  async history(query: HistoryQuery): Promise<HistoryMessage[]> {
    const { before, limit } = query;
    const answer = await this.#request({ type: "history", ...placeKeys(query), before, limit });
    // Each is a message frame exactly as it was delivered live.
    return (answer as ServerFrameA<"history">).messages as HistoryMessage[];
  }

  /** Replaces the text of the user's message `id`; resolves with the edit's own id. */
  async editMessage(where: Conversation, id: string, text: string): Promise<string> {
    return (await this.#change({ type: "editMessage", ...placeKeys(where), id, message: text }))!;
  }

  /** Deletes message `id`: the user's own, or any in a channel they own or moderate. */
  async deleteMessage(where: Conversation, id: string): Promise<string> {
    return (await this.#change({ type: "deleteMessage", ...placeKeys(where), id }))!;
  }

  /** Adds the user's `emoji` reaction to message `id`; undefined when they had it already. */
  react(where: Conversation, id: string, emoji: string): Promise<string | undefined> {
    return this.#change({ type: "react", ...placeKeys(where), id, emoji });
  }

  /** Takes the user's `emoji` reaction to message `id` back; undefined when they had none. */
  unreact(where: Conversation, id: string, emoji: string): Promise<string | undefined> {
    return this.#change({ type: "react", ...placeKeys(where), id, emoji, remove: true });
  }

  /**
   * The user has read `where` up to `id` (absent: its newest); each of their
   * sessions gets `read`. One request at a time per conversation: calls made
   * meanwhile become one, with the last call's `id`, so marking every
   * message as it arrives costs a frame per round trip, not per message.
   */
  markRead(where: Conversation, id?: string): Promise<void> {
    return this.#marking(
      conversationKey(where),
      () => this.#request({ type: "markRead", ...placeKeys(where), id }).then(() => {}),
    );
  }

  readonly #marking = oneAtATime();

  /** Where the user stands in a channel or conversation: read position, unread counts. */
  readPosition(where: Conversation): ReadPosition | undefined {
    return this.#connection.reads.get(where);
  }

  /** The read positions of the user's channels and recent conversations. */
  readPositions(): ReadPosition[] {
    return this.#connection.reads.all();
  }

  /** Reads every member of `channel` and watches it: `memberList` stays current from then on. */
  members(channel: string): Promise<ChannelMember[]> {
    return this.#connection.readMembers(channel);
  }

  /** The live member list of a watched channel. */
  memberList(channel: string): ChannelMember[] {
    return this.#connection.members.list(channel);
  }

  /** The member counts of a watched channel too large for per-member events. */
  memberCount(channel: string): { members: number; online: number } | undefined {
    return this.#connection.members.counts(channel);
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
    this.#connection.points.join(channel);
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
  close(): Promise<void> {
    return this.#connection.close();
  }

  /** Takes only `replyTo` and `data` of `extras`: a frame passed as options rewrites nothing. */
  async #publish(
    frame: ClientFrame<"broadcast" | "directMessage">,
    { replyTo, data }: MessageOptions,
  ): Promise<string> {
    const answer = await this.#request({ ...frame, replyTo, data });
    return (answer as ServerFrameA<"ack">).id!;
  }

  #request(frame: ClientFrame): Promise<ServerFrameA> {
    return this.#connection.request(frame);
  }

  /** Resolves with the id of the stored change; none when the change changed nothing. */
  async #change(
    frame: ClientFrame<"editMessage" | "deleteMessage" | "react">,
  ): Promise<string | undefined> {
    return ((await this.#request(frame)) as ServerFrameA<"ack">).id;
  }
}
