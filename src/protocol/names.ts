/**
 * The rules for user and channel names, shared by the wire schemas, the
 * configuration, JWT subjects and the core. A name may be written in any
 * script: letters, marks and digits of any language, single inner spaces
 * and the punctuation of names (`_ - . ' ’`). It is NFC-normalized before
 * anything else, and that form is the one Natter keeps and shows. Users are
 * unique by `userKey` (a case fold); channels by their NFC form, exactly.
 * What is refused, and why, is in `checkName`; mixed scripts are judged by
 * `scripts.ts`. Who a message mentions by name is `mentionedKeys`.
 *
 * @module
 */
import {
  DEFAULT_SCRIPT_RESTRICTION,
  scriptName,
  type ScriptRestriction,
  tooMixedScripts,
} from "./scripts.ts";

export {
  DEFAULT_SCRIPT_RESTRICTION,
  SCRIPT_RESTRICTIONS,
  type ScriptRestriction,
} from "./scripts.ts";

/** What a name names: a user or a channel. */
export type NameKind = "username" | "channel";

/** Longest name of each kind, in code points after NFC. */
export const MAX_NAME_CODE_POINTS: Readonly<Record<NameKind, number>> = {
  username: 32,
  channel: 64,
};

/** Most combining marks in a row: enough for any script's stacked vowels and tones, not for Zalgo. */
export const MAX_MARKS_IN_A_ROW = 4;

/** Names no client may take: the lobby's announcer and the system. Compared by `userKey`. */
export const RESERVED_USERNAMES: readonly string[] = ["server", "system"];

/** The sender name of lobby announcements ("alice has joined the chat"). */
export const SERVER_SENDER = "Server";

/** The punctuation a name may hold, besides single inner spaces. */
export const NAME_PUNCTUATION = "_-.'\u2019";

/** The rule of the allowed characters, as the refusals state it. */
const ALLOWED = "a letter, mark, digit, inner space or one of _ - . ' ’";

/** An ASCII name the fast path accepts whole (its length is checked apart). */
const ASCII_NAME = /^[A-Za-z0-9_.'-]+(?: [A-Za-z0-9_.'-]+)*$/;
const ASCII = /^[\x20-\x7e]*$/;
const LETTER_OR_DIGIT = /^[\p{L}\p{N}]$/u;
const MARK = /^\p{M}$/u;
const CONTROL_OR_FORMAT = /^[\p{Cc}\p{Cf}]$/u;
/** The halfwidth and fullwidth forms, which `userKey` maps to their ordinary letters. */
const WIDTH_FORMS = /[\uff00-\uffef]+/g;
const WIDTH_FORM = /^[\uff00-\uffef]$/;
/**
 * Phonetic letters no language writes names with, among them the small
 * capitals (`ꜱᴇʀᴠᴇʀ` looks like `Server`); IPA letters that languages do use
 * (ə, ɛ, ɔ) stay allowed.
 */
const PHONETIC = /^[\u1d00-\u1dbf\ua730\ua731\u0262\u026a\u0274\u0280\u028f\u0299\u029c\u029f]$/;

/** A name checked: its NFC form, or the rule it breaks (a clause such as `is reserved`). */
export type NameVerdict = { ok: true; name: string } | { ok: false; problem: string };

/**
 * Checks a username or channel name and returns its NFC form, or the rule
 * it breaks. `scripts` is how far it may mix scripts (NAME_SCRIPT_RESTRICTION).
 */
export function checkName(
  raw: string,
  kind: NameKind,
  scripts: ScriptRestriction,
): NameVerdict {
  const max = MAX_NAME_CODE_POINTS[kind];
  if (ASCII_NAME.test(raw) && raw.length <= max) return reservedOrOk(raw, kind);
  const memo = (memos[kind][scripts] ??= new Map());
  let verdict = memo.get(raw);
  if (verdict === undefined) {
    verdict = checkWhole(raw, kind, scripts);
    if (memo.size >= MAX_REMEMBERED_VERDICTS) memo.clear();
    memo.set(raw, verdict);
  }
  return verdict;
}

/** Verdicts on names off the ASCII fast path, kept for the next frame that names them. */
const memos: Record<NameKind, Partial<Record<ScriptRestriction, Map<string, NameVerdict>>>> = {
  username: {},
  channel: {},
};

/** Verdicts kept per kind and level, at most; a full memo starts again. */
const MAX_REMEMBERED_VERDICTS = 2048;

function checkWhole(raw: string, kind: NameKind, scripts: ScriptRestriction): NameVerdict {
  const max = MAX_NAME_CODE_POINTS[kind];
  if (!raw.isWellFormed()) return refused("is not well-formed Unicode (it has a lone surrogate)");
  // NFC never shrinks text eightfold: longer input is too long whatever it composes to.
  if (raw.length > 8 * max) return refused(`is longer than ${max} characters`);
  const name = raw.normalize("NFC");
  const chars = [...name];
  if (chars.length === 0) return refused("is empty");
  if (chars.length > max) return refused(`is longer than ${max} characters (${chars.length})`);
  const problem = charProblem(chars) ?? mixProblem(name, scripts);
  return problem === undefined ? reservedOrOk(name, kind) : refused(problem);
}

/** The first character of `chars` that breaks a rule, as the refusal states it. */
function charProblem(chars: readonly string[]): string | undefined {
  let marks = 0;
  for (const [index, char] of chars.entries()) {
    marks = MARK.test(char) ? marks + 1 : 0;
    if (char === " ") {
      if (index === 0 || index === chars.length - 1) return "starts or ends with a space";
      if (chars[index - 1] === " ") return "has two spaces in a row";
    } else if (CONTROL_OR_FORMAT.test(char)) {
      return `has ${
        codePoint(char)
      }, a control or format character (such as a bidi control or a zero-width character)`;
    } else if (marks === 1 && (index === 0 || chars[index - 1] === " ")) {
      return `has a combining mark (${codePoint(char)}) with no letter before it`;
    } else if (marks > MAX_MARKS_IN_A_ROW) {
      return `has more than ${MAX_MARKS_IN_A_ROW} combining marks in a row`;
    } else if (marks === 0 && !LETTER_OR_DIGIT.test(char) && !NAME_PUNCTUATION.includes(char)) {
      return `has ${codePoint(char)}, which is not ${ALLOWED}`;
    } else if (!WIDTH_FORM.test(char) && char.normalize("NFKC") !== char) {
      // As PRECIS (RFC 8264) does: 𝐒, ℬ or ᵇ would look like S, B or b under another key.
      return `has ${codePoint(char)}, a compatibility form of "${
        char.normalize("NFKC")
      }": write that instead`;
    } else if (PHONETIC.test(char)) {
      return `has ${
        codePoint(char)
      }, a phonetic letter (such as a small capital) that looks like another`;
    }
  }
  return undefined;
}

function mixProblem(name: string, level: ScriptRestriction): string | undefined {
  const mixed = tooMixedScripts(name, level);
  if (mixed === undefined) return undefined;
  const scripts = mixed.map(scriptName);
  const listed = `${scripts.slice(0, -1).join(", ")} and ${scripts.at(-1)}`;
  return `mixes the ${listed} scripts, which NAME_SCRIPT_RESTRICTION=${level} refuses`;
}

function reservedOrOk(name: string, kind: NameKind): NameVerdict {
  if (kind === "username" && RESERVED_USERNAMES.includes(userKey(name))) {
    return refused("is reserved (Server and system, in any case or form)");
  }
  return { ok: true, name };
}

function refused(problem: string): NameVerdict {
  return { ok: false, problem };
}

/** `U+202E` for a character. */
function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * A name as an error message may quote it: at most 40 code points, with
 * control and format characters (bidi overrides) and lone surrogates
 * written as `\u{…}` so that the message reads as it is.
 */
export function quoteName(name: string): string {
  const shown = [...name].slice(0, 40).map((char) =>
    CONTROL_OR_FORMAT.test(char) || !char.isWellFormed()
      ? `\\u{${char.codePointAt(0)!.toString(16)}}`
      : char
  ).join("");
  return `"${shown}"`;
}

/**
 * The key under which a username is unique: its case fold. JavaScript has no
 * Unicode case folding, so this is NFC, then lower, upper and lower case,
 * then NFC again, which unifies what full case folding does for names
 * (`José`/`JOSÉ`/NFD `José`, `ß`/`ẞ`/`SS`/`ss`, `Σ`/`σ`/`ς`); the first
 * lowering is for `ẞ`, whose upper case is itself. Halfwidth and fullwidth
 * forms are first mapped to their ordinary letters (RFC 8265's width
 * mapping), so `Ｓｅｒｖｅｒ` is `server`, and the typographic apostrophe `’`
 * is `'`, so `O’Brien` (as phones type it) is `O'Brien`.
 */
export function userKey(name: string): string {
  if (ASCII.test(name)) return name.toLowerCase();
  const mapped = name.replace(WIDTH_FORMS, (forms) => forms.normalize("NFKC"))
    .replaceAll("\u2019", "'");
  return mapped.normalize("NFC").toLowerCase().toUpperCase().toLowerCase().normalize("NFC");
}

/** Whether `name` is a username as given (in NFC; `scripts` defaults to the default level). */
export function isUsername(name: string, scripts?: ScriptRestriction): boolean {
  const verdict = checkName(name, "username", scripts ?? DEFAULT_SCRIPT_RESTRICTION);
  return verdict.ok && verdict.name === name;
}

/** Whether `name` is a channel name as given (in NFC; `scripts` defaults to the default level). */
export function isChannelName(name: string, scripts?: ScriptRestriction): boolean {
  const verdict = checkName(name, "channel", scripts ?? DEFAULT_SCRIPT_RESTRICTION);
  return verdict.ok && verdict.name === name;
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

/**
 * Code-point order, as Redis orders the same names by their UTF-8 bytes:
 * UTF-16 order but for surrogates, which come after U+E000–U+FFFF.
 */
export function byCodePoints(a: string, b: string): number {
  for (let i = 0; i < a.length && i < b.length; i++) {
    const left = codePointRank(a.charCodeAt(i));
    const right = codePointRank(b.charCodeAt(i));
    if (left !== right) return left - right;
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  return unit >= 0xd800 && unit <= 0xdfff ? unit + 0x2000 : unit >= 0xe000 ? unit - 0x800 : unit;
}

/** Most users one message mentions in a way that counts. */
export const MAX_MENTIONS = 20;

/** A mention in text: `@` and a name without spaces (a trailing `.`, `'` or `-` ends the sentence, not the name). */
const MENTION = /@([\p{L}\p{M}\p{N}_\-.'’]+)/gu;

/**
 * The keys of the users a message mentions: `@name` in its text, and the
 * names listed in `data.mentions`; at most `MAX_MENTIONS`. The server counts
 * mentions apart with it, and the client SDK counts live ones the same way.
 */
export function mentionedKeys(text: string, data?: Record<string, unknown>): string[] {
  const names: string[] = [];
  if (text.includes("@")) {
    for (const [, name] of text.matchAll(MENTION)) names.push(name.replace(/[.'’-]+$/u, ""));
  }
  const listed = data?.mentions;
  if (Array.isArray(listed)) {
    for (const name of listed) if (typeof name === "string") names.push(name);
  }
  const keys = new Set<string>();
  for (const name of names) {
    // Only a valid username: Redis joins the keys by newline, and a name cannot hold one.
    if (keys.size < MAX_MENTIONS && isUsername(name, "unrestricted")) keys.add(userKey(name));
  }
  return [...keys];
}
