/**
 * Mixed-script names: which writing systems a name uses, and whether the
 * mix passes a restriction level of Unicode's UTS #39 (§5.2). A
 * character's scripts are its Script_Extensions (read with the `\p{scx=…}`
 * regex classes of the JavaScript engine); Common and Inherited characters
 * (digits, punctuation, most combining marks) fit any script and are not
 * counted. Whole-script confusables (a name entirely in Cyrillic that
 * reads as Latin, such as `раура`) are not detected: every level lets a
 * single-script name through.
 *
 * @module
 */

/** How far a name may mix scripts, after UTS #39's restriction levels. */
export const SCRIPT_RESTRICTIONS = [
  "highly-restrictive",
  "moderately-restrictive",
  "unrestricted",
] as const;

/** A level of `SCRIPT_RESTRICTIONS`. */
export type ScriptRestriction = (typeof SCRIPT_RESTRICTIONS)[number];

/** The level that holds when none is configured. */
export const DEFAULT_SCRIPT_RESTRICTION: ScriptRestriction = "moderately-restrictive";

/**
 * The scripts of Unicode 16 by their ISO 15924 codes, but Common (Zyyy) and
 * Inherited (Zinh). Codes the engine does not know are skipped.
 */
const SCRIPT_CODES = (
  "Adlm Aghb Ahom Arab Armi Armn Avst Bali Bamu Bass Batk Beng Bhks Bopo Brah Brai Bugi Buhd " +
  "Cakm Cans Cari Cham Cher Chrs Copt Cpmn Cprt Cyrl Deva Diak Dogr Dsrt Dupl Egyp Elba Elym " +
  "Ethi Gara Geor Glag Gong Gonm Goth Gran Grek Gujr Gukh Guru Hang Hani Hano Hatr Hebr Hira " +
  "Hluw Hmng Hmnp Hung Ital Java Kali Kana Kawi Khar Khmr Khoj Kits Knda Krai Kthi Lana Laoo " +
  "Latn Lepc Limb Lina Linb Lisu Lyci Lydi Mahj Maka Mand Mani Marc Medf Mend Merc Mero Mlym " +
  "Modi Mong Mroo Mtei Mult Mymr Nagm Nand Narb Nbat Newa Nkoo Nshu Ogam Olck Onao Orkh Orya " +
  "Osge Osma Ougr Palm Pauc Perm Phag Phli Phlp Phnx Plrd Prti Rjng Rohg Runr Samr Sarb Saur " +
  "Sgnw Shaw Shrd Sidd Sind Sinh Sogd Sogo Sora Soyo Sund Sunu Sylo Syrc Tagb Takr Tale Talu " +
  "Taml Tang Tavt Tayo Telu Tfng Tglg Thaa Thai Tibt Tirh Tnsa Todr Toto Tutg Ugar Vaii Vith " +
  "Wara Wcho Xpeo Xsux Yezi Yiii Zanb"
).split(" ");

/** Characters that fit any script: Common and Inherited, with no script extensions. */
const ANY_SCRIPT = /[\p{scx=Zyyy}\p{scx=Zinh}]/u;

/** The sets of scripts UTS #39 lets mix at the highly restrictive level (Japanese, Chinese, Korean). */
const HIGHLY_RESTRICTIVE_SETS: readonly (readonly string[])[] = [
  ["Latn", "Hani", "Hira", "Kana"],
  ["Latn", "Hani", "Bopo"],
  ["Latn", "Hani", "Hang"],
];

/** Scripts the moderately restrictive level does not let mix with Latin: their look-alikes. */
const NOT_WITH_LATIN = new Set(["Cyrl", "Grek"]);

/** Code points whose scripts are remembered, at most. */
const MAX_REMEMBERED = 4096;

let classes: [code: string, pattern: RegExp][] | undefined;
const remembered = new Map<number, readonly string[]>();

/** The engine's `\p{scx=…}` class of every script it knows, built on first use. */
function scriptClasses(): [string, RegExp][] {
  classes ??= SCRIPT_CODES.flatMap((code): [string, RegExp][] => {
    try {
      return [[code, new RegExp(`\\p{scx=${code}}`, "u")]];
    } catch {
      return [];
    }
  });
  return classes;
}

/** The scripts of one character (its Script_Extensions); empty for Common and Inherited. */
export function scriptsOf(char: string): readonly string[] {
  const codePoint = char.codePointAt(0)!;
  const known = remembered.get(codePoint);
  if (known) return known;
  const scripts = ANY_SCRIPT.test(char)
    ? []
    : scriptClasses().filter(([, pattern]) => pattern.test(char)).map(([code]) => code);
  // A client can send any characters: a full memo starts again rather than stop learning.
  if (remembered.size >= MAX_REMEMBERED) remembered.clear();
  remembered.set(codePoint, scripts);
  return scripts;
}

/** Whether every character's scripts meet `allowed` (a character fitting any script always does). */
function coveredBy(sets: readonly (readonly string[])[], allowed: readonly string[]): boolean {
  return sets.every((scripts) => scripts.some((script) => allowed.includes(script)));
}

/**
 * The scripts that make `name` too mixed for `level`, or undefined when it
 * passes. A name whose characters share one script passes every level.
 */
export function tooMixedScripts(name: string, level: ScriptRestriction): string[] | undefined {
  if (level === "unrestricted") return undefined;
  const sets = [...name].map(scriptsOf).filter((scripts) => scripts.length > 0);
  if (sets.length === 0) return undefined;
  const common = sets.reduce((shared, scripts) => shared.filter((s) => scripts.includes(s)));
  if (common.length > 0) return undefined;
  if (HIGHLY_RESTRICTIVE_SETS.some((allowed) => coveredBy(sets, allowed))) return undefined;
  if (level === "moderately-restrictive") {
    const others = new Set(sets.flat().filter((script) => script !== "Latn"));
    for (const other of others) {
      if (!NOT_WITH_LATIN.has(other) && coveredBy(sets, ["Latn", other])) return undefined;
    }
  }
  return distinctScripts(sets);
}

/** One script of each character, the first of its extensions shared with another when it can. */
function distinctScripts(sets: readonly (readonly string[])[]): string[] {
  const all = sets.flat();
  const picked = sets.map((scripts) =>
    scripts.find((script) => all.indexOf(script) !== all.lastIndexOf(script)) ?? scripts[0]
  );
  return [...new Set(picked)];
}

let displayNames: Intl.DisplayNames | undefined;

/** A script's English name ("Cyrillic"), or its code when the engine has none. */
export function scriptName(code: string): string {
  try {
    displayNames ??= new Intl.DisplayNames(["en"], { type: "script" });
    return displayNames.of(code) ?? code;
  } catch {
    return code;
  }
}
