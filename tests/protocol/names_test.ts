/**
 * The name rules and text measures: usernames and channel names in every
 * script (each accepted example, each refusal rule with its message, NFC and
 * case equivalence, reserved names, mixed scripts at each level), UTF-8 and
 * code point counts.
 */
import {
  checkName,
  exceedsCodePoints,
  isChannelName,
  isUsername,
  type NameKind,
  quoteName,
  type ScriptRestriction,
  userKey,
  utf8Length,
} from "../../src/protocol/names.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";

Deno.test("names: utf8Length equals the TextEncoder byte count", () => {
  const samples = [
    "",
    "hello",
    "é",
    "café",
    "ßø",
    "€",
    "日本語",
    "😀",
    "a😀b",
    "👩‍👩‍👧",
    "x€😀é",
    "\u007f\u0080\u07ff\u0800\uffff",
    // Lone surrogates: TextEncoder writes U+FFFD (3 bytes) for each.
    "\ud800",
    "a\udc00b",
    "\ud83d",
  ];
  for (const text of samples) {
    assertEquals(utf8Length(text), new TextEncoder().encode(text).length, JSON.stringify(text));
  }
  assertEquals(utf8Length("é"), 2);
  assertEquals(utf8Length("€"), 3);
  assertEquals(utf8Length("😀"), 4);
});

Deno.test("names: exceedsCodePoints counts a surrogate pair once", () => {
  assertEquals(exceedsCodePoints("abc", 3), false);
  assertEquals(exceedsCodePoints("abcd", 3), true);
  assertEquals(exceedsCodePoints("", 0), false);
  assertEquals(exceedsCodePoints("a", 0), true);
  assertEquals(exceedsCodePoints("😀".repeat(3), 3), false);
  assertEquals(exceedsCodePoints("😀".repeat(4), 3), true);
  assertEquals(exceedsCodePoints("a😀b", 3), false);
  assertEquals(exceedsCodePoints("a😀bc", 3), true);
});

/** The rule `raw` breaks as a `kind` (at `level`), or "ok". */
function problemOf(
  raw: string,
  kind: NameKind = "username",
  level: ScriptRestriction = "moderately-restrictive",
): string {
  const verdict = checkName(raw, kind, level);
  return verdict.ok ? "ok" : verdict.problem;
}

/** Names of people in many scripts, all accepted as usernames and as channel names. */
const PEOPLE = [
  "José",
  "Zoë",
  "李雷",
  "Ana María",
  "O'Brien",
  "O’Brien",
  "محمد",
  "שרה",
  "देवनागरी",
  "क्षत्रिय",
  "さくら",
  "田中さくら",
  "タナカ",
  "김민수",
  "Ελένη",
  "Анна",
  "Nguyễn Văn An",
  "Björk_Guðmundsdóttir",
  "jean-luc.picard",
  "a",
  "7",
  "u".repeat(32),
];

Deno.test("names: usernames in every script are accepted as written (NFC)", () => {
  for (const name of PEOPLE) {
    assertEquals(checkName(name, "username", "highly-restrictive"), { ok: true, name }, name);
    assertEquals(isUsername(name), true, name);
    assertEquals(isChannelName(name), true, name);
  }
});

Deno.test("names: channel names in every script are accepted, up to 64 characters", () => {
  for (
    const name of ["Général", "my channel", "équipe-été", "общий чат", "c".repeat(64), "server"]
  ) {
    assertEquals(checkName(name, "channel", "highly-restrictive"), { ok: true, name }, name);
  }
  assertEquals(problemOf("c".repeat(65), "channel"), "is longer than 64 characters (65)");
  assertEquals(problemOf("é".repeat(65), "channel"), "is longer than 64 characters (65)");
});

Deno.test("names: a name is NFC-normalized before anything else", () => {
  const nfd = "Jose\u0301";
  assertEquals(checkName(nfd, "username", "moderately-restrictive"), { ok: true, name: "José" });
  assertEquals(checkName("e\u0301quipe-e\u0301te\u0301", "channel", "unrestricted"), {
    ok: true,
    name: "équipe-été",
  });
  // Counted after NFC: 32 NFD "é" (64 code points) are 32 characters.
  assertEquals(problemOf("e\u0301".repeat(32)), "ok");
  assertEquals(isUsername(nfd), false, "isUsername takes names already in NFC");
});

Deno.test("names: each refusal names the rule it breaks", () => {
  const cases: [string, string | RegExp][] = [
    ["", "is empty"],
    ["u".repeat(33), "is longer than 32 characters (33)"],
    ["ü".repeat(33), "is longer than 32 characters (33)"],
    ["x".repeat(1000), "is longer than 32 characters"],
    [" ana", "starts or ends with a space"],
    ["ana ", "starts or ends with a space"],
    ["ana  maria", "has two spaces in a row"],
    ["ana\u00a0maria", /^has U\+00A0, which is not a letter, mark, digit, inner space or one of/],
    ["ana\tmaria", /^has U\+0009, a control or format character/],
    ["a\u0000b", /^has U\+0000, a control or format character/],
    ["abc\u202Edef", /^has U\+202E, a control or format character \(such as a bidi control/],
    ["abc\u2066def", /^has U\+2066, a control or format/],
    ["abc\u2069def", /^has U\+2069, a control or format/],
    ["ab\u200Bc", /^has U\+200B, a control or format/],
    ["ab\u200Cc", /^has U\+200C, a control or format/],
    ["ab\u200Dc", /^has U\+200D, a control or format/],
    ["ab\u2060c", /^has U\+2060, a control or format/],
    ["\uFEFFabc", /^has U\+FEFF, a control or format/],
    ["\u0301abc", "has a combining mark (U+0301) with no letter before it"],
    ["ana \u0301b", "has a combining mark (U+0301) with no letter before it"],
    ["z\u0300\u0301\u0302\u0303\u0304", "has more than 4 combining marks in a row"],
    ["😀", /^has U\+1F600, which is not a letter, mark, digit, inner space or one of _ - \. ' ’$/],
    ["ana😀", /^has U\+1F600/],
    ["bob!", /^has U\+0021/],
    ["a/b", /^has U\+002F/],
    ["a@b", /^has U\+0040/],
    ["#general", /^has U\+0023/],
    ["ab\ud800", "is not well-formed Unicode (it has a lone surrogate)"],
    ["\udc00", "is not well-formed Unicode (it has a lone surrogate)"],
    ["Server", "is reserved (Server and system, in any case or form)"],
    ["аdmin", /^mixes the Cyrillic and Latin scripts, which NAME_SCRIPT_RESTRICTION=moderately/],
    ["𝐒𝐞𝐫𝐯𝐞𝐫", 'has U+1D412, a compatibility form of "S": write that instead'],
    ["ℬob", 'has U+212C, a compatibility form of "B": write that instead'],
    ["ᵇᵒᵇ", 'has U+1D47, a compatibility form of "b": write that instead'],
    ["ﬁsh", 'has U+FB01, a compatibility form of "fi": write that instead'],
    ["agent ①", 'has U+2460, a compatibility form of "1": write that instead'],
    ["x²", 'has U+00B2, a compatibility form of "2": write that instead'],
    ["ꜱᴇʀᴠᴇʀ", /^has U\+A731, a phonetic letter \(such as a small capital\)/],
    ["ʙob", /^has U\+0299, a phonetic letter/],
  ];
  for (const [raw, expected] of cases) {
    const problem = problemOf(raw);
    if (typeof expected === "string") assertEquals(problem, expected, quoteName(raw));
    else assertMatch(problem, expected);
  }
  // Four marks in a row are fine (stacked vowels and tones).
  assertEquals(problemOf("z\u0300\u0301\u0302\u0303"), "ok");
  // IPA letters that languages write with (Azerbaijani, Akan, Ewe) are letters like any other.
  for (const name of ["Əli", "Kɔfi", "Ɛsi"]) assertEquals(problemOf(name), "ok", name);
});

Deno.test("names: uniqueness is by case fold: NFC, NFD and any case are one user", () => {
  const same = (names: string[]) => {
    const keys = new Set(names.map(userKey));
    assertEquals(keys.size, 1, `${names.join(", ")} have keys ${[...keys].join(", ")}`);
  };
  same(["José", "JOSÉ", "josé", "Jose\u0301", "JOSE\u0301"]);
  same(["Straße", "STRASSE", "strasse", "STRAẞE", "straẞe"]);
  same(["O'Brien", "O’Brien", "o’brien"]);
  same(["ΟΔΟΣ", "οδος", "οδοσ", "Οδος"]);
  same(["Σίσυφος", "ΣΊΣΥΦΟΣ", "σίσυφοσ"]);
  same(["Zoë", "ZOË", "Zoe\u0308"]);
  same(["Ａｎａ", "ana", "ANA"]);
  for (
    const names of [["José", "JOSÉ"], ["Straße", "STRAẞE"], ["ΟΔΟΣ", "οδοσ"], ["Ａｎａ", "O’Brien"]]
  ) {
    for (const name of names) {
      assertEquals(userKey(userKey(name)), userKey(name), `idempotent: ${name}`);
    }
  }
  same(["Анна", "АННА", "анна"]);
  assert(userKey("Ana") !== userKey("Аnа"), "Latin and Cyrillic letters stay different users");
  assert(userKey("José") !== userKey("Jose"), "accents matter");
  assertEquals(userKey("Alice"), "alice");
});

Deno.test("names: Server and system are reserved in any case and form", () => {
  for (
    const name of [
      "Server",
      "server",
      "SERVER",
      "sErVeR",
      "system",
      "SYSTEM",
      "Ｓｅｒｖｅｒ",
      "ｓｙｓｔｅｍ",
    ]
  ) {
    assertEquals(problemOf(name), "is reserved (Server and system, in any case or form)", name);
  }
  for (const name of ["servers", "system1", "the-server", "Sеrver"]) {
    assert(problemOf(name) !== "is reserved (Server and system, in any case or form)", name);
  }
  assertEquals(problemOf("Server", "channel"), "ok", "channels may be called server");
});

Deno.test("names: quoteName shows control and format characters as escapes", () => {
  assertEquals(quoteName("a\u202Eb"), '"a\\u{202e}b"');
  assertEquals(quoteName("José"), '"José"');
  assertEquals(quoteName("x".repeat(50)), `"${"x".repeat(40)}"`);
});
