/**
 * A small leveled logger writing one line per event, so that the core can
 * report without knowing the runtime. Every line names its event with a
 * stable dotted name (`session.closed`, `redis.connected`), which is what
 * operators filter on; the README lists them all. Two formats: JSON, one
 * object a line (`LOG_FORMAT=json`, the default when stdout is not a
 * terminal), and `pretty`, `time LEVEL event message key=value…` for a
 * person at a terminal.
 *
 * No message text, token or JWT is ever a field: the callers log ids, names,
 * codes and counts, and an error is printed as its name and message.
 *
 * @module
 */

/** Log severities, least severe first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** How lines are written: a JSON object each, or text for a terminal. */
export type LogFormat = "json" | "pretty";

/** Every format, as `LOG_FORMAT` accepts them. */
export const LOG_FORMATS = ["json", "pretty"] as const satisfies readonly LogFormat[];

/**
 * Values printed with an event. An undefined value is left out; `message` is
 * a sentence for people; an `Error` is printed as its name and message (and
 * its cause's). In `pretty` lines a string with spaces, quotes, `=` or
 * control characters is JSON-quoted, so a value a client chose cannot forge
 * a line; JSON lines escape them anyway.
 */
export type LogFields = Record<string, unknown> & { message?: string };

/** What the core uses to report: an event name, and what goes with it. */
export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/** Where lines go: `out` for debug and info, `err` for warn and error. */
export interface LogSink {
  out(line: string): void;
  err(line: string): void;
}

const CONSOLE: LogSink = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A logger printing events at `level` and above, in `format`, to `sink` (the console). */
export function createLogger(
  level: LogLevel,
  format: LogFormat = "pretty",
  sink: LogSink = CONSOLE,
): Logger {
  const line = format === "json" ? jsonLine : prettyLine;
  const at = (severity: LogLevel) => (event: string, fields: LogFields = {}) => {
    if (ORDER[severity] < ORDER[level]) return;
    const text = line(new Date().toISOString(), severity, event, fields);
    if (severity === "error" || severity === "warn") sink.err(text);
    else sink.out(text);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

function jsonLine(time: string, level: LogLevel, event: string, fields: LogFields): string {
  const values: Record<string, unknown> = { time, level, event };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) values[key] = value;
  }
  // JSON leaves the line separators as they are; a log shipper splitting on them must not.
  return safeJson(values).replace(/[\u2028\u2029]/g, (char) => escapeChar(char));
}

/**
 * JSON of any value a caller may log, thrown values included: errors as
 * their text, BigInts as strings, a cycle as `"[Circular]"`. A logger never
 * throws: whatever still fails to serialize is named, not printed.
 */
function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(value, (_key, item: unknown) => {
      if (item instanceof Error) return errorText(item);
      if (typeof item === "bigint") return item.toString();
      if (typeof item === "object" && item !== null) {
        if (seen.has(item)) return "[Circular]";
        seen.add(item);
      }
      return item;
    }) ?? String(value);
  } catch (error) {
    return JSON.stringify({ unprintable: error instanceof Error ? error.name : typeof value });
  }
}

function prettyLine(time: string, level: LogLevel, event: string, fields: LogFields): string {
  const { message, ...rest } = fields;
  const values = Object.entries(rest)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ` ${key}=${typeof value === "string" ? quoted(value) : shown(value)}`)
    .join("");
  return `${time} ${level.toUpperCase()} ${event}${
    message === undefined ? "" : ` ${quotedSentence(message)}`
  }${values}`;
}

/**
 * An error as a log shows it: its name and message, then its cause's, and so
 * on. A Redis reply error shows only its code: Redis may echo a command's
 * arguments (a message's text) in the rest.
 */
function errorText(error: Error): string {
  const message = error.name === "ReplyError" ? error.message.split(" ")[0] : error.message;
  const text = `${error.name}: ${message}`;
  return error.cause instanceof Error ? `${text}; caused by ${errorText(error.cause)}` : text;
}

/** Matches a string that cannot be printed bare in a `key=value` line. */
const NEEDS_QUOTES = /[\s"=\p{Cc}\p{Cf}\u2028\u2029]|^$/u;

/**
 * What JSON leaves as it is but a terminal acts on: DEL and C1 controls, line
 * separators, and format characters (bidi controls reorder what it shows).
 */
const UNESCAPED_BY_JSON = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

function quoted(value: string): string {
  if (!NEEDS_QUOTES.test(value)) return value;
  return JSON.stringify(value).replace(UNESCAPED_BY_JSON, escapeChar);
}

/** A sentence is printed bare, unless it holds what could break or fake a line. */
function quotedSentence(message: string): string {
  return /[\p{Cc}\p{Cf}\u2028\u2029"=]/u.test(message) ? quoted(message) : message;
}

function escapeChar(char: string): string {
  return `\\u${char.codePointAt(0)!.toString(16).padStart(4, "0")}`;
}

function shown(value: unknown): string {
  if (value instanceof Error) return quoted(errorText(value));
  return safeJson(value);
}
