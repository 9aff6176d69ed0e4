/**
 * The core is runtime-agnostic: outside `src/runtime/`, no module under
 * `src/` touches `Deno.*` or imports `node:*`, so the Node build can share it.
 */
import { assertEquals } from "./support/assert.ts";

const SRC = new URL("../src/", import.meta.url);

async function* modules(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory && entry.name !== "runtime") yield* modules(url);
    if (entry.isFile && entry.name.endsWith(".ts")) yield url;
  }
}

function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

Deno.test("architecture: only src/runtime/ touches Deno.* or node:*", async () => {
  const offenders: string[] = [];
  for await (const url of modules(SRC)) {
    const source = withoutComments(await Deno.readTextFile(url));
    if (/\bDeno\b/.test(source) || /["']node:/.test(source)) {
      offenders.push(url.pathname.slice(SRC.pathname.length));
    }
  }
  assertEquals(offenders, []);
});
