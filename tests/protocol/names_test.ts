/** The name rules and text measures: usernames, channel names, UTF-8 and code point counts. */
import {
  exceedsCodePoints,
  isChannelName,
  isUsername,
  utf8Length,
} from "../../src/protocol/names.ts";
import { assertEquals } from "../support/assert.ts";

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

Deno.test("names: usernames are 1-32 allowed characters", () => {
  for (const name of ["a", "Z", "9", "_", "a.b-c_d", "u".repeat(32)]) {
    assertEquals(isUsername(name), true, name);
  }
  for (const name of ["", "u".repeat(33), "a b", "a/b", "é", "a@b", "a\n"]) {
    assertEquals(isUsername(name), false, JSON.stringify(name));
  }
});

Deno.test("names: Server and system are reserved in any case", () => {
  for (const name of ["Server", "server", "SERVER", "sErVeR", "system", "System", "SYSTEM"]) {
    assertEquals(isUsername(name), false, name);
  }
  for (const name of ["servers", "system1", "the-server"]) {
    assertEquals(isUsername(name), true, name);
  }
});

Deno.test("names: channel names are 1-64 allowed characters", () => {
  for (const name of ["a", "-", "general", "c".repeat(64), "server", "system"]) {
    assertEquals(isChannelName(name), true, name);
  }
  for (const name of ["", "c".repeat(65), "two words", "a/b", "ü", "#general"]) {
    assertEquals(isChannelName(name), false, JSON.stringify(name));
  }
});
