/// <reference no-default-lib="true" />
/// <reference lib="dom" />
/// <reference lib="esnext" />
/**
 * What the web app keeps in the browser between visits: who the user is
 * (the name and session token, or the pasted JWT), the people (and system
 * senders) they have direct conversations with and the invitations they
 * have not answered, so a reload or a new tab comes back as the same user,
 * within the server's reconnect grace, with the same lists. After "Sign
 * out" only the name and token are kept apart, so that signing in again
 * under the same name within the grace is a return, not a clash with the
 * name's own hold.
 *
 * @module
 */

/** The signed-in user, as kept. */
export interface Saved {
  username?: string;
  token?: string;
  jwt?: string;
  /** The users this user has direct conversations with. */
  directs: string[];
  /** Of `directs`, the system senders (kept since this field came: older sessions have none). */
  systemDirects?: string[];
  /** Private channels this user was invited to, with who invited. */
  invitations: Record<string, string>;
}

/** The names signed out of (in lower case), with the tokens that take them back while held. */
type Departed = Record<string, string>;

/** How many signed-out names are remembered: the newest ones. */
const DEPARTED_KEPT = 20;

const SIGNED_IN = "natter.session";
const SIGNED_OUT = "natter.signed-out";

/** The signed-in user, if this browser has one. */
export function loadSession(): Saved | undefined {
  const saved = read(SIGNED_IN) as Partial<Saved> | undefined;
  if (!saved || !Array.isArray(saved.directs)) return undefined;
  return { invitations: {}, ...saved } as Saved;
}

export function saveSession(saved: Saved): void {
  write(SIGNED_IN, saved);
}

/** Ends the kept session; an anonymous user's name and token are kept apart (see above). */
export function forgetSession(): void {
  const saved = loadSession();
  if (saved?.username && saved.token) {
    const departed = { ...read(SIGNED_OUT) as Departed | undefined };
    delete departed[saved.username.toLowerCase()];
    departed[saved.username.toLowerCase()] = saved.token;
    write(SIGNED_OUT, Object.fromEntries(Object.entries(departed).slice(-DEPARTED_KEPT)));
  }
  write(SIGNED_IN, undefined);
}

/** The token of `username` if this browser signed out of that name. */
export function departedToken(username: string): string | undefined {
  return (read(SIGNED_OUT) as Departed | undefined)?.[username.toLowerCase()];
}

function read(key: string): unknown {
  try {
    return JSON.parse(localStorage.getItem(key) ?? "null") ?? undefined;
  } catch {
    return undefined; // Unreadable or blocked storage: sign in again.
  }
}

function write(key: string, value: unknown): void {
  try {
    if (value === undefined) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage blocked (private mode): the app works, a reload signs in again.
  }
}
