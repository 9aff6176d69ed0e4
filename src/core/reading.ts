/**
 * Read state: the `markRead` command, what it tells the user's other
 * sessions (`read`, the cross-device sync) and the other members (read
 * receipts, in conversations and small channels). Who a message mentions,
 * which the broker counts apart, is the protocol's `mentionedKeys`. The
 * counts themselves are the broker's (`ReadState`): they never read the history.
 *
 * @module
 */
import { type Broker, channelTopic, userTopic } from "../broker/broker.ts";
import type { Config } from "../config.ts";
import type { Command } from "../protocol/commands.ts";
import { userKey } from "../protocol/names.ts";
import { checkChannelGrant } from "./grants.ts";
import { ack, CommandRefused, type Session } from "./session.ts";

/** Recent conversations whose counts a session gets on connect. */
export const CONVERSATIONS_ON_CONNECT = 100;

/** What read state needs. */
export interface ReadingOptions extends Pick<Config, "readReceiptsMaxMembers"> {
  broker: Broker;
}

/** Creates the `markRead` handler. */
export function createReading(options: ReadingOptions) {
  const { broker } = options;

  return async function markRead(
    session: Session,
    command: Extract<Command, { type: "markRead" }>,
  ): Promise<void> {
    const me = session.user!;
    const where = command.in;
    if ("channel" in where) {
      checkChannelGrant(session, where.channel);
      if (!session.channels.has(where.channel)) {
        throw new CommandRefused("not_member", `Not a member of channel "${where.channel}"`);
      }
    }
    const marked = await broker.reads.markRead(me.name, where, command.id);
    // Nothing there yet is nothing to read: marking it all read is done.
    if (!marked && command.id === undefined) return ack(session, command.ref);
    if (!marked) {
      throw new CommandRefused(
        "message_not_found",
        `Message ${command.id} is no kept entry there: wrong id, or no longer kept`,
      );
    }
    ack(session, command.ref);
    if (!marked.moved) return;
    const { position, countedTo } = marked;
    await broker.bus.signal(userTopic(me.key), {
      kind: "read",
      in: where,
      position,
      ...(countedTo === undefined ? {} : { countedTo }),
    });
    if (!("channel" in where)) {
      await broker.bus.signal(userTopic(userKey(where.with)), {
        kind: "receipt",
        in: { with: me.name },
        from: me.name,
        id: position.read,
      });
    } else if (marked.members <= options.readReceiptsMaxMembers) {
      await broker.bus.signal(channelTopic(where.channel), {
        kind: "receipt",
        in: where,
        from: me.name,
        id: position.read,
      });
    }
  };
}
