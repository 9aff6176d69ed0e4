/**
 * The rules for user and channel names, shared by the wire schemas, the
 * configuration and the core. Names are plain ASCII so that no two names
 * look alike on screen (no homoglyphs, no bidi tricks).
 *
 * @module
 */

/** Usernames: 1-32 ASCII letters, digits, `_`, `-` or `.`. */
export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;

/** Channel names: 1-64 ASCII letters, digits, `_`, `-` or `.`. */
export const CHANNEL_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** Names no client may take: the lobby's announcer and the system. Compared case-insensitively. */
export const RESERVED_USERNAMES: readonly string[] = ["server", "system"];

/** The sender name of lobby announcements ("alice has joined the chat"). */
export const SERVER_SENDER = "Server";

/** Lowercased key under which a username is unique. */
export function userKey(name: string): string {
  return name.toLowerCase();
}

/** Whether `name` may be used as a username (pattern and not reserved). */
export function isUsername(name: string): boolean {
  return USERNAME_PATTERN.test(name) && !RESERVED_USERNAMES.includes(userKey(name));
}

/** Whether `name` may be used as a channel name. */
export function isChannelName(name: string): boolean {
  return CHANNEL_PATTERN.test(name);
}

/** Whether `text` has more than `limit` Unicode code points (a surrogate pair counts once). */
export function exceedsCodePoints(text: string, limit: number): boolean {
  if (text.length <= limit) return false;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    if (isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1))) i++;
    if (++count > limit) return true;
  }
  return false;
}

/** Control characters a message text may not hold: C0 (but tab, newline, return), DEL, C1. */
// deno-lint-ignore no-control-regex -- matching control characters is what this is for
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/**
 * Whether `text` is fit to show: well-formed Unicode (no lone surrogate,
 * which no client can render and some JSON decoders reject) and no
 * control characters besides tab, newline and carriage return. Bidi
 * marks stay allowed: right-to-left languages need them.
 */
export function isPrintableText(text: string): boolean {
  return text.isWellFormed() && !CONTROL.test(text);
}

/** Size of `text` encoded as UTF-8, computed without allocating. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (isHighSurrogate(unit) && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}
