/// <reference no-default-lib="true" />
/// <reference lib="dom" />
/// <reference lib="esnext" />
/**
 * Coalescing work that events ask for: a busy channel delivers hundreds of
 * messages in a burst, and redrawing the whole conversation for each one
 * costs time in proportion to the square of their number. The work runs
 * once, after the events already waiting have been taken in.
 *
 * @module
 */

/** `work`, run once in a later task however often it is asked for before then. */
export function coalesced(work: () => void): () => void {
  let due = false;
  return () => {
    if (due) return;
    due = true;
    // A task, not an animation frame: a hidden page (whose title counts unread) draws too.
    setTimeout(() => {
      due = false;
      work();
    }, 0);
  };
}
