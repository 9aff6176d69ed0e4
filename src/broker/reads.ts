/**
 * The read-state part of the broker contract (see `broker.ts`): how far
 * each user has read each channel and conversation, and their unread
 * counts, shared by every instance.
 *
 * @module
 */
import type { Conversation, ReadPosition } from "../protocol/commands.ts";

/** Where a user stands in one channel or conversation, after `markRead`. */
export interface MarkedRead {
  position: ReadPosition & { read: string };
  /** Whether this call moved the position forward. */
  moved: boolean;
  /** How many members the channel has (2 for a conversation). */
  members: number;
  /**
   * The newest id the counts include: every message up to it is counted,
   * none after it. A client adds the messages from others it gets after it.
   */
  countedTo?: string;
}

/**
 * Read positions and unread counts, per user and per channel or
 * conversation (`Conversation`, from the user's side). A message's author
 * has read it when sending it. Counting reads counters kept per topic, never
 * the history: a count costs the same for ten messages or ten thousand.
 * What a user reads is kept with their inbox (a new holder of an anonymous
 * name starts with none).
 */
export interface ReadState {
  /**
   * Moves the user's (`name`) read position in `where` forward to the kept
   * entry `id` (absent: the newest), atomically; never backwards. Resolves
   * where the user stands after it, or undefined when `id` is no kept entry there.
   */
  markRead(name: string, where: Conversation, id?: string): Promise<MarkedRead | undefined>;
  /**
   * Where the user stands in each of `channels`, and in their `limit` most
   * recent conversations (with the other user's read position there).
   */
  positions(name: string, channels: readonly string[], limit: number): Promise<Positions>;
  /** How far each of the users `names` has read `channel`, in order (undefined: nowhere yet). */
  readBy(channel: string, names: readonly string[]): Promise<(string | undefined)[]>;
}

/** What `ReadState.positions` answers: the counts a session gets on connect. */
export interface Positions {
  channels: (ReadPosition & { channel: string })[];
  conversations: (ReadPosition & { with: string; theirRead?: string })[];
  /**
   * The newest id the counts include: every message up to it is counted,
   * none after it. A client adds the messages from others it gets after it.
   */
  countedTo?: string;
}
