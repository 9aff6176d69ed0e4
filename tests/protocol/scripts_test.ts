/** Mixed-script names at each UTS #39 restriction level, and each character's scripts. */
import { checkName, type ScriptRestriction } from "../../src/protocol/names.ts";
import { scriptName, scriptsOf, tooMixedScripts } from "../../src/protocol/scripts.ts";
import { assert, assertEquals } from "../support/assert.ts";

Deno.test("scripts: mixed scripts are judged at the configured level (UTS #39)", () => {
  const levels: ScriptRestriction[] = [
    "highly-restrictive",
    "moderately-restrictive",
    "unrestricted",
  ];
  const cases: [string, [boolean, boolean, boolean]][] = [
    ["paypal", [true, true, true]],
    ["раура", [true, true, true]], // all Cyrillic: a whole-script confusable, not detected
    ["аdmin", [false, false, true]], // Cyrillic а, Latin dmin
    ["Ωmega", [false, false, true]], // Greek with Latin
    ["Tokyo東京", [true, true, true]], // Latin + Han
    ["ひらがなカタカナ漢字", [true, true, true]], // Japanese
    ["ㄅㄆ漢字", [true, true, true]], // Bopomofo + Han
    ["한국어漢字", [true, true, true]], // Hangul + Han
    ["Hindi हिंदी", [false, true, true]], // Latin + Devanagari
    ["Shalom שלום", [false, true, true]], // Latin + Hebrew
    ["हिंदी עברית", [false, false, true]], // two non-Latin scripts
    ["Ελλάδα Россия", [false, false, true]], // Greek + Cyrillic
    ["abc123", [true, true, true]], // digits are Common
    ["١٢٣ محمد", [true, true, true]], // Arabic-Indic digits belong to Arabic
  ];
  for (const [name, verdicts] of cases) {
    levels.forEach((level, index) => {
      const ok = checkName(name, "username", level).ok;
      assertEquals(ok, verdicts[index], `${name} at ${level}`);
    });
  }
  assertEquals(tooMixedScripts("аdmin", "highly-restrictive"), ["Cyrl", "Latn"]);
  assertEquals(scriptsOf("a"), ["Latn"]);
  assertEquals(scriptsOf("1"), []);
  assertEquals(scriptsOf("-"), []);
  assert(scriptsOf("\u0301").length !== 1, "a combining mark fits Inherited or several scripts");
});

Deno.test("scripts: a script is named in English for refusals", () => {
  assertEquals(scriptName("Cyrl"), "Cyrillic");
  assertEquals(scriptName("Latn"), "Latin");
});
