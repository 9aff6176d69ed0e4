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
// deno-lint-ignore no-control-regex -- control characters are what must be escaped
const NEEDS_QUOTES = /[\s"=\u0000-\u001f\u007f-\u009f\u2028\u2029]|^$/;

function quoted(value: string): string {
  return NEEDS_QUOTES.test(value) ? JSON.stringify(value) : value;
}

function describe(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  return JSON.stringify(value) ?? String(value);
}
