/**
 * The one merge of a history read with the live deliveries held back while
 * it ran: a broker's backfill after its subscriber reconnects and the core's
 * per-session resume both subscribe first, read second, and must then send
 * each message once and in order. A leaf: it knows ids, nothing else.
 *
 * @module
 */

/**
 * Merges two lists of one topic's messages, a history read and the live
 * deliveries held back while it ran: every envelope whose id is greater than
 * `after` (all of them when `after` is undefined), each id once, in id order.
 * When both lists hold an id, the copy from `first` is kept, by identity, so
 * the caller chooses: a resume keeps the history's copy (it tells replayed
 * messages by it), a backfill the live one (it names the sending session,
 * which stored copies never hold).
 */
export function mergeById<E extends { message: { id: string } }>(
  first: readonly E[],
  second: readonly E[],
  after?: string,
): E[] {
  const kept = new Map<string, E>();
  // `first` first: the first envelope seen with an id is the one kept.
  for (const envelope of [...first, ...second]) {
    const { id } = envelope.message;
    if ((after === undefined || id > after) && !kept.has(id)) kept.set(id, envelope);
  }
  // Held deliveries are normally in order already, but a caller must not have to promise it.
  return [...kept.values()].sort((a, b) => a.message.id < b.message.id ? -1 : 1);
}
