/**
 * The configuration help `--help` prints: every setting with its default,
 * its bounds and its meaning. Default and bounds come from each setting's
 * reader in `SETTINGS` (what startup enforces), the meaning from
 * `SETTING_MEANINGS`, the text the README's configuration table is held to;
 * so the help, the README and startup describe one schema.
 *
 * @module
 */
import { SETTINGS } from "./config.ts";
import { SETTING_MEANINGS } from "./setting_meanings.ts";
import { Setting, type SettingsTable } from "./settings.ts";
import { VERSION } from "./version.ts";

/** One setting as the help and the README's configuration table show it. */
export interface SettingDescription {
  variable: string;
  /** The value an unset variable reads to, as the variable would hold it; `undefined`: unset. */
  fallback: string | undefined;
  /** The rule a value must follow, such as "must be an integer from 0 to 65535". */
  accepts: string;
  /** What the setting does, in Markdown (empty when `SETTING_MEANINGS` lacks it). */
  meaning: string;
}

/** Every setting of `table`, nested tables included, in table order. */
export function describeSettings(table: SettingsTable = SETTINGS): SettingDescription[] {
  return Object.values(table).flatMap((entry) =>
    entry instanceof Setting
      ? [{
        variable: entry.variable,
        fallback: shownFallback(entry),
        accepts: entry.accepts,
        meaning: SETTING_MEANINGS[entry.variable] ?? "",
      }]
      : describeSettings(entry)
  );
}

/** The help text: how to run, then every setting; `command` is how this runtime starts Natter. */
export function configurationHelp(command: string): string {
  const settings = describeSettings().map(({ variable, fallback, accepts, meaning }) =>
    [
      variable,
      ...wrap(`Default ${fallback ?? "unset"}; ${accepts}.`),
      ...wrap(plainText(meaning)),
    ].join("\n")
  );
  return [
    `Natter ${VERSION}, a real-time chat server.`,
    "",
    `Usage: ${command} [--help]`,
    "",
    ...wrap(
      "Every setting is an environment variable, read the same way on Deno and on Node: " +
        `PORT=9000 ${command}. An invalid configuration stops startup with exit status 2, ` +
        "naming every bad variable.",
      "",
    ),
    "",
    ...settings.flatMap((setting) => [setting, ""]),
    ...wrap(
      "OpenTelemetry's own variables turn on Natter's tracing spans: OTEL_DENO=true on Deno " +
        "(with OTEL_EXPORTER_OTLP_ENDPOINT for where they go), OTEL_EXPORTER_OTLP_ENDPOINT on " +
        "Node with an SDK registered. See the README's Tracing section.",
      "",
    ),
    "",
  ].join("\n");
}

const WIDTH = 80;
const INDENT = "    ";

/** The value an unset variable reads to, written as the variable would hold it. */
function shownFallback(setting: Setting<unknown>): string | undefined {
  const parsed = setting.schema.safeParse(undefined);
  if (!parsed.success || parsed.data === undefined) return undefined;
  return Array.isArray(parsed.data) ? parsed.data.join(",") : String(parsed.data);
}

/** Markdown as a terminal shows it best: links as their text, no code or bold marks. */
function plainText(markdown: string): string {
  return markdown.replace(/\[([^\]]+)\]\([^)]*\)/g, "$1").replaceAll("**", "").replaceAll("`", "");
}

/**
 * `text` in lines of at most `WIDTH` characters after `indent`, broken at
 * spaces (a longer word keeps its line).
 */
function wrap(text: string, indent = INDENT): string[] {
  const width = WIDTH - indent.length;
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines.map((line) => indent + line);
}
