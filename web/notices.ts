/// <reference no-default-lib="true" />
/// <reference lib="dom" />
/// <reference lib="esnext" />
/**
 * Telling the user what happened, in words: refusals of their requests (the
 * server's own explanation), and notices such as an invitation. They show in
 * the page's alert region for a while.
 *
 * @module
 */
import { byId, h } from "./dom.ts";

/** How long a notice stays. */
const SHOWN_MS = 8_000;

/** What `request` gives for a refused request. */
export const REFUSED = Symbol("refused");

/** Shows `text` as an error (the default) or as information. */
export function notice(text: string, kind: "error" | "info" = "error"): void {
  const item = h("p", { class: `notice ${kind}` }, text);
  byId("notices").append(item);
  setTimeout(() => item.remove(), SHOWN_MS);
}

/** Clears every notice (a new user signs in). */
export function clearNotices(): void {
  byId("notices").replaceChildren();
}

/**
 * Runs a request the user asked for; a refusal is shown in words, unless
 * the answer comes after `stale()` became true (the user signed out).
 */
export async function request<T>(
  ask: () => Promise<T>,
  stale: () => boolean = () => false,
): Promise<T | typeof REFUSED> {
  try {
    return await ask();
  } catch (error) {
    if (!stale()) notice(error instanceof Error ? error.message : String(error));
    return REFUSED;
  }
}
