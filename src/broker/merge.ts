/**
 * The one merge of a history read with the live deliveries held back while
 * it ran: a broker's backfill after its subscriber reconnects and the core's
 * per-session resume both subscribe first, read second, and must then send
 * each message once and in order. A leaf: it knows ids, nothing else.
 *
 * @module
 */

/**
 * Merges a history read with the live deliveries held back while it ran: every envelope whose id
 * is greater than `after` (all of them when `after` is undefined), each id once, in id order. When
 * both hold an id, the one from `read` is kept, so a caller tells replayed messages by identity.
 */
export function mergeById<E extends { message: { id: string } }>(
  read: readonly E[],
  held: readonly E[],
  after?: string,
): E[] {
  const kept = new Map<string, E>();
  // `read` first: the first envelope seen with an id is the one kept.
  for (const envelope of [...read, ...held]) {
    const { id } = envelope.message;
    if ((after === undefined || id > after) && !kept.has(id)) kept.set(id, envelope);
  }
  // Held deliveries are normally in order already, but a caller must not have to promise it.
  return [...kept.values()].sort((a, b) => a.message.id < b.message.id ? -1 : 1);
}
