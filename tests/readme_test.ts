/**
 * The README's tables are the user's manual: every variable, frame type,
 * error code and close code the code defines must appear there, with the
 * defaults the code really uses.
 */
import { loadConfig, SETTINGS } from "../src/config.ts";
import { Setting, type SettingsTable } from "../src/settings.ts";
import { CLOSE_CODES, ERROR_CODES } from "../src/protocol/codes.ts";
import { clientFrameSchemas, ServerFramesA } from "../src/protocol/frames.ts";
import { assert } from "./support/assert.ts";

const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
const rows = readme.split("\n").filter((line) => line.startsWith("|"));

function row(name: string): string | undefined {
  return rows.find((line) => line.split("|")[1]?.trim() === `\`${name}\``);
}

/** Each variable of `table` with the value it has in `values` (via its `Config` key). */
function* variables(
  table: SettingsTable,
  values: Record<string, unknown> | undefined,
): Generator<[variable: string, value: unknown]> {
  for (const [key, entry] of Object.entries(table)) {
    if (entry instanceof Setting) yield [entry.variable, values?.[key]];
    else yield* variables(entry, values?.[key] as Record<string, unknown> | undefined);
  }
}

Deno.test("README: every configuration variable has a row with its real default", () => {
  // A list default shows as the variable would hold it (["*"] as `*`); one
  // absent from the defaults (no default, or a JWT setting) as "unset".
  const seen = new Set<string>();
  for (const [variable, fallback] of variables(SETTINGS, loadConfig({}))) {
    assert(
      !seen.has(variable),
      `${variable} is read by two settings: one README row cannot tell both`,
    );
    seen.add(variable);
    const line = row(variable);
    assert(line, `README has no configuration row for ${variable}`);
    const shown = fallback === undefined ? "unset" : `\`${fallback}\``;
    assert(line.split("|")[2].includes(shown), `README's default of ${variable}`);
  }
});

Deno.test("README: every frame type, error code and close code is documented", () => {
  const kindA = Object.keys(clientFrameSchemas({ maxMessageChars: 1 }).kindA);
  for (const type of [...kindA, ...Object.keys(ServerFramesA)]) {
    assert(row(type), `README has no row for frame type ${type}`);
  }
  for (const code of Object.keys(ERROR_CODES)) {
    assert(row(code), `README has no row for error ${code}`);
  }
  for (const code of Object.values(CLOSE_CODES)) {
    assert(row(String(code)), `README has no row for close code ${code}`);
  }
});
