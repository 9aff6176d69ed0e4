/// <reference no-default-lib="true" />
/// <reference lib="dom" />
/// <reference lib="esnext" />
/**
 * What the web app keeps in the browser between visits: who the user is
 * (the name and session token, or the pasted JWT) and the people they have
 * direct conversations with, so a reload or a new tab comes back as the
 * same user, within the server's reconnect grace, with the same lists.
 *
 * @module
 */

export interface Saved {
  username?: string;
  token?: string;
  jwt?: string;
  /** The users this user has direct conversations with. */
  directs: string[];
}

const KEY = "natter.session";

export function loadSession(): Saved | undefined {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? "null");
    return saved && Array.isArray(saved.directs) ? saved as Saved : undefined;
  } catch {
    return undefined; // Unreadable or blocked storage: sign in again.
  }
}

export function saveSession(saved: Saved): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(saved));
  } catch {
    // Storage blocked (private mode): the app works, a reload signs in again.
  }
}

export function forgetSession(): void {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // Nothing was kept.
  }
}
