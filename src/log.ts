/**
 * A small leveled logger writing one line per event to the console, so that
 * the core can report without knowing the runtime.
 *
 * @module
 */

/** Log severities, least severe first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * Extra values printed after the message as `key=value`; an undefined value
 * is left out, and a string with spaces, quotes, `=` or control characters
 * is printed JSON-quoted, so a value a client chose cannot forge a line.
 */
export type LogFields = Record<string, unknown>;

/** What the core uses to report. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A console logger printing events at `level` and above. */
export function createLogger(level: LogLevel): Logger {
  const at = (severity: LogLevel) => (message: string, fields?: LogFields) => {
    if (ORDER[severity] < ORDER[level]) return;
    const line = `${new Date().toISOString()} ${severity.toUpperCase()} ${message}${
      formatFields(fields)
    }`;
    if (severity === "error" || severity === "warn") console.error(line);
    else console.log(line);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

function formatFields(fields: LogFields | undefined): string {
  if (!fields) return "";
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ` ${key}=${typeof value === "string" ? quoted(value) : describe(value)}`)
    .join("");
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
  return JSON.stringify(value).replace(
    UNESCAPED_BY_JSON,
    (char) => `\\u${char.codePointAt(0)!.toString(16).padStart(4, "0")}`,
  );
}

function describe(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  return JSON.stringify(value) ?? String(value);
}
