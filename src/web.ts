/**
 * The chat web app's files as the server holds them: which URL serves which
 * file of the build (`deno task build:web` writes them to `dist/web/`), and
 * loading them once at startup through the runtime's own file reader, so the
 * app stays free of `Deno.*` and `node:*`.
 *
 * @module
 */

/** One file of the web app, ready to send. */
export interface WebFile {
  body: Uint8Array;
  contentType: string;
  /** A strong validator of the body (its SHA-256): a browser that has it gets a 304. */
  etag: string;
}

/** The web app's files by URL path; `/` is its page. */
export type WebApp = ReadonlyMap<string, WebFile>;

/** Reads one file of the built web app by name; rejects if it cannot. */
export type ReadWebFile = (name: string) => Promise<Uint8Array>;

/** The URL path of each file the build writes, with its name and type. */
const WEB_FILES: readonly { path: string; name: string; contentType: string }[] = [
  { path: "/", name: "index.html", contentType: "text/html; charset=utf-8" },
  { path: "/app.js", name: "app.js", contentType: "text/javascript; charset=utf-8" },
  { path: "/app.css", name: "app.css", contentType: "text/css; charset=utf-8" },
  { path: "/icon.svg", name: "icon.svg", contentType: "image/svg+xml" },
];

/**
 * What a page of the app may do: load its own files and connect to its own
 * server only, so that a message that slipped into the page as HTML still
 * could neither run a script nor send anything elsewhere.
 */
export const WEB_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** Every file of the web app, or why it cannot be served (a missing build, no permission). */
export async function loadWebApp(read: ReadWebFile): Promise<WebApp | string> {
  const files = new Map<string, WebFile>();
  for (const { path, name, contentType } of WEB_FILES) {
    try {
      const body = await read(name);
      files.set(path, { body, contentType, etag: await etagOf(body) });
    } catch (error) {
      const cause = error instanceof Error ? error.message : String(error);
      return `cannot read ${name} of the web app (${cause}); build it with \`deno task build:web\`` +
        " and let the server read dist/web/ (deno task start does both)";
    }
  }
  return files;
}

async function etagOf(body: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body.slice()));
  return `"${
    Array.from(digest.subarray(0, 16), (byte) => byte.toString(16).padStart(2, "0")).join("")
  }"`;
}
