/**
 * `deno task build:web`: builds the chat web app into `dist/web/`, where the
 * Deno server reads it (`deno task start` builds it first), and the Node
 * distribution's build into its `web/`. `app.js` is `web/main.ts` with the
 * client SDK, bundled for browsers with no imports left; the page, its
 * styles and its icon are copied as they are. No file comes from a CDN.
 *
 * @module
 */
import { bundled } from "../build/bundle.ts";

const WEB = new URL("./", import.meta.url);
/** The files the server serves (`src/web.ts`), besides the bundle. */
const COPIED = ["index.html", "app.css", "icon.svg"];

/** The web app's files by name, built in memory. */
export async function webApp(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  files.set("app.js", await bundled(new URL("main.ts", WEB), "browser", [], { minify: true }));
  for (const name of COPIED) files.set(name, await Deno.readTextFile(new URL(name, WEB)));
  return files;
}

/** Builds the web app and writes it to `dir`, replacing what was there. */
export async function buildWeb(dir: URL): Promise<Map<string, string>> {
  const files = await webApp();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, text] of files) await Deno.writeTextFile(new URL(name, dir), text);
  return files;
}

if (import.meta.main) {
  const dir = new URL("../dist/web/", import.meta.url);
  const files = await buildWeb(dir);
  console.log(
    `built ${dir.pathname}: ${
      [...files].map(([name, text]) => `${name} ${(text.length / 1024).toFixed(1)} KiB`).join(", ")
    }`,
  );
}
