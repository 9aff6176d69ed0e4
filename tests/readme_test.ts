/**
 * The README's tables are the user's manual: every variable, frame type,
 * error code and close code the code defines must appear there, with the
 * defaults the code really uses; the configuration table says what `--help`
 * says.
 */
import { describeSettings } from "../src/help.ts";
import { SETTING_MEANINGS } from "../src/setting_meanings.ts";
import { CLOSE_CODES, ERROR_CODES } from "../src/protocol/codes.ts";
import { clientFrameSchemas, ServerFramesA } from "../src/protocol/frames.ts";
import { assert, assertEquals } from "./support/assert.ts";

const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
const rows = readme.split("\n").filter((line) => line.startsWith("|"));

function row(name: string): string | undefined {
  return rows.find((line) => line.split("|")[1]?.trim() === `\`${name}\``);
}

Deno.test("README: the configuration table is the help's schema: every setting, its default and meaning", () => {
  // A list default shows as the variable would hold it (["*"] as `*`); no default as "unset".
  const settings = describeSettings();
  const described = new Set<string>();
  for (const { variable, fallback, meaning } of settings) {
    assert(
      !described.has(variable),
      `${variable} is read by two settings: one row cannot tell both`,
    );
    described.add(variable);
    assert(meaning !== "", `src/setting_meanings.ts has no meaning for ${variable}`);
    const line = row(variable);
    assert(line, `README has no configuration row for ${variable}; add:\n${tableRow(variable)}`);
    const [, shownDefault, shownMeaning] = line.split("|").slice(1, -1).map((cell) => cell.trim());
    assertEquals(
      shownDefault,
      fallback === undefined ? "unset" : `\`${fallback}\``,
      `README's default of ${variable}`,
    );
    assertEquals(
      shownMeaning,
      meaning,
      `README's meaning of ${variable} (src/setting_meanings.ts)`,
    );
  }
  for (const variable of Object.keys(SETTING_MEANINGS)) {
    assert(
      described.has(variable),
      `src/setting_meanings.ts explains ${variable}, which no setting reads`,
    );
  }
  const configuration = readme.split("\n## Configuration")[1].split("\n## ")[0];
  for (const line of configuration.split("\n").filter((line) => line.startsWith("| `"))) {
    const variable = line.split("|")[1].trim().slice(1, -1);
    assert(
      described.has(variable),
      `README's configuration row for ${variable}: no setting reads it`,
    );
  }
});

/** The README row `variable` should have, for the message of a missing one. */
function tableRow(variable: string): string {
  const setting = describeSettings().find((setting) => setting.variable === variable)!;
  const shown = setting.fallback === undefined ? "unset" : `\`${setting.fallback}\``;
  return `| \`${variable}\` | ${shown} | ${setting.meaning} |`;
}

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
