/**
 * A real Chromium for tests, driven through `tests/browser/driver.mjs` (a
 * Node process running npm `playwright-core`, which does not run under
 * Deno). A test launches one browser, opens named pages (each user in a
 * context of their own, so no two share localStorage) and finds elements as
 * a user does, by accessible role and name, label or text:
 *
 * ```ts
 * await using browser = await launchBrowser();
 * const alice = await browser.open("alice", app.url, { viewport: PHONE });
 * await alice.fill("Username", "alice");
 * await alice.click("Sign in");
 * await alice.fill("Message", "hello");
 * await alice.press("Message", "Enter");
 * await alice.waitFor(items("Messages").withText("hello"));
 * await alice.click(role("button", "general").inside(role("navigation", "Channels")));
 * ```
 *
 * Waits have a deadline (10 s by default), and a failed one says what it
 * awaited and shows the page's text.
 *
 * @module
 */
import { nodeBinary } from "./runtimes.ts";

/** The Chromium the tests drive: `NATTER_TEST_CHROMIUM`, or Debian's. */
export const CHROMIUM = Deno.env.get("NATTER_TEST_CHROMIUM") ?? "/usr/bin/chromium";

const DRIVER = new URL("../browser/driver.mjs", import.meta.url);
const PLAYWRIGHT = new URL("../browser/node_modules/playwright-core/package.json", import.meta.url);

/** How long `Browser` disposal waits for the driver to close Chromium before killing it. */
const EXIT_DEADLINE_MS = 10_000;

/** A window size. */
export interface Viewport {
  width: number;
  height: number;
}

/** The desktop size the app's screenshots use. */
export const DESKTOP: Viewport = { width: 1200, height: 760 };
/** A phone's size (an iPhone 12 to 15, in CSS pixels). */
export const PHONE: Viewport = { width: 390, height: 844 };

/** The ARIA roles `role` accepts (those Playwright knows). */
export const ROLES = [
  "alert",
  "alertdialog",
  "application",
  "article",
  "banner",
  "blockquote",
  "button",
  "caption",
  "cell",
  "checkbox",
  "code",
  "columnheader",
  "combobox",
  "complementary",
  "contentinfo",
  "definition",
  "deletion",
  "dialog",
  "directory",
  "document",
  "emphasis",
  "feed",
  "figure",
  "form",
  "generic",
  "grid",
  "gridcell",
  "group",
  "heading",
  "img",
  "insertion",
  "link",
  "list",
  "listbox",
  "listitem",
  "log",
  "main",
  "marquee",
  "math",
  "menu",
  "menubar",
  "menuitem",
  "menuitemcheckbox",
  "menuitemradio",
  "meter",
  "navigation",
  "none",
  "note",
  "option",
  "paragraph",
  "presentation",
  "progressbar",
  "radio",
  "radiogroup",
  "region",
  "row",
  "rowgroup",
  "rowheader",
  "scrollbar",
  "search",
  "searchbox",
  "separator",
  "slider",
  "spinbutton",
  "status",
  "strong",
  "subscript",
  "superscript",
  "switch",
  "tab",
  "table",
  "tablist",
  "tabpanel",
  "term",
  "textbox",
  "time",
  "timer",
  "toolbar",
  "tooltip",
  "tree",
  "treegrid",
  "treeitem",
] as const;

/** An ARIA role, such as `button`, `list`, `listitem` or `navigation`. */
export type Role = typeof ROLES[number];

/** A locator as the driver reads it (see `locate` in driver.mjs). */
interface Target {
  role?: Role;
  name?: string;
  label?: string;
  text?: string;
  css?: string;
  exact?: boolean;
  hasText?: string;
  nth?: number;
  within?: Target;
}

/**
 * Where to find elements in a page. Made with {@linkcode role},
 * {@linkcode label}, {@linkcode text}, {@linkcode css} or {@linkcode items},
 * then narrowed: `role("listitem").inside(role("list", "Messages")).withText("hi")`.
 */
export class Locator {
  readonly #target: Target;

  constructor(target: Target) {
    this.#target = target;
  }

  /** The same, looked for inside each element `scope` finds. */
  inside(scope: Locator): Locator {
    const { within } = this.#target;
    return new Locator({
      ...this.#target,
      within: within ? new Locator(within).inside(scope).toJSON() : scope.toJSON(),
    });
  }

  /** Only the elements whose text contains `text` (ignoring case). */
  withText(text: string): Locator {
    return new Locator({ ...this.#target, hasText: text });
  }

  /** Only the `index`th element found (0 first, -1 last). */
  nth(index: number): Locator {
    return new Locator({ ...this.#target, nth: index });
  }

  /** What the driver is sent. */
  toJSON(): Target {
    return this.#target;
  }
}

/** How a name, label or text matches. */
export interface MatchOptions {
  /**
   * The whole string, case-sensitively (`true`), or any part of it, ignoring
   * case (`false`).
   */
  exact?: boolean;
}

/**
 * Elements with the ARIA `role` and, if given, the accessible `name`: the
 * whole name unless `exact: false`, so that `role("list", "Message")` is not
 * the list "Messages".
 */
export function role(role: Role, name?: string, { exact = true }: MatchOptions = {}): Locator {
  return new Locator({ role, ...(name === undefined ? {} : { name, exact }) });
}

/**
 * The elements labelled `text` (by `<label>`, `aria-label` or
 * `aria-labelledby`): the whole label unless `exact: false`, so that the field
 * "Message" is not the list "Messages".
 */
export function label(text: string, { exact = true }: MatchOptions = {}): Locator {
  return new Locator({ label: text, exact });
}

/** The smallest elements containing `text` (ignoring case), or whose text it is if `exact`. */
export function text(text: string, { exact = false }: MatchOptions = {}): Locator {
  return new Locator({ text, exact });
}

/** Elements by CSS selector: for what no user can name (an injected `<img>`, say). */
export function css(selector: string): Locator {
  return new Locator({ css: selector });
}

/** The items of the list named `list`: `items("Messages")`, `items("Online")`. */
export function items(list: string): Locator {
  return role("listitem").inside(role("list", list));
}

/**
 * A field or button given as a plain string: a label for the methods that
 * type or choose (`fill("Message", …)`), a button's name for `click("Send")`.
 */
export type Field = Locator | string;

/** What the page did besides rendering: a dialog (dismissed), an uncaught error, a console line. */
export interface PageEvent {
  type: "dialog" | "pageerror" | "console";
  /** The dialog's kind (`alert`, `confirm`, `prompt`) or the console level (`log`, `error`…). */
  kind?: string;
  text: string;
}

/** Which events: each given field equal, and `text` contained in the event's. */
export type EventMatch = Partial<PageEvent>;

/** What `waitFor` waits for. */
export interface WaitOptions {
  /** Some match visible (the default), or none. */
  state?: "visible" | "hidden";
  /** Instead of a state: exactly this many matches, visible or not. */
  count?: number;
  /** @default 10000 */
  timeoutMs?: number;
}

/** One open page of a named user. */
export interface Page {
  readonly name: string;
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  /** Closes the page; its context stays, so `browser.open(name, …)` again finds its storage. */
  close(): Promise<void>;
  /** Clicks a button (a string is the button's name) or any element. */
  click(target: Field): Promise<void>;
  /** Replaces a field's text (a string is the field's label). */
  fill(target: Field, value: string): Promise<void>;
  /** Presses a key in a field, such as `Enter` or `Shift+Enter`. */
  press(target: Field, key: string): Promise<void>;
  /** Chooses the option of a `<select>` with this value or label. */
  select(target: Field, option: string): Promise<void>;
  check(target: Field): Promise<void>;
  uncheck(target: Field): Promise<void>;
  /** The text of each match, in document order (none: `[]`). */
  texts(target: Locator): Promise<string[]>;
  count(target: Locator): Promise<number>;
  /** Whether some match is visible. */
  visible(target: Locator): Promise<boolean>;
  /** An attribute of the one match (waiting for it), or null when it has none. */
  attribute(target: Locator, name: string): Promise<string | null>;
  /** The current value of a field. */
  value(target: Field): Promise<string>;
  /** Waits until some match is visible, none is, or there are `count` (see {@linkcode WaitOptions}). */
  waitFor(target: Locator, options?: WaitOptions): Promise<void>;
  /** The JSON value of a JavaScript expression in the page (a promise is awaited). */
  evaluate<T = unknown>(expression: string): Promise<T>;
  /** Writes a PNG of the viewport (or the whole page) to `path`. */
  screenshot(path: string, options?: { fullPage?: boolean }): Promise<void>;
  /** The events since the page was opened, those matching `match` if given. */
  events(match?: EventMatch): Promise<PageEvent[]>;
  /** Waits for an event matching `match` (including one already recorded) and returns it. */
  waitForEvent(match: EventMatch, timeoutMs?: number): Promise<PageEvent>;
}

/** The browser: open pages with it, dispose of it (`await using`) to close it. */
export interface Browser extends AsyncDisposable {
  /** Chromium's version, such as `140.0.7339.80`. */
  readonly version: string;
  /** Opens the page `name` at `url`: in a new context, or in the one it had before it was closed. */
  open(name: string, url: string, options?: { viewport?: Viewport }): Promise<Page>;
  /** Closes every page and context: each name opens afresh after. */
  closeAll(): Promise<void>;
}

/** What `launchBrowser` may change. */
export interface LaunchOptions {
  /**
   * Hosts, with or without a port, that the browser's resolver sends
   * elsewhere, as a hosts-file entry would but with the port too: with
   * `{ "localhost:8080": "127.0.0.1:41234" }` a page's own
   * `ws://localhost:8080/ws` reaches the server on port 41234, its code
   * untouched (Chromium's `--host-resolver-rules`).
   */
  hosts?: Record<string, string>;
}

/**
 * Launches Chromium (headless) through the driver. Fails, saying how to get
 * it, when Chromium or the driver's `playwright-core` is not installed.
 */
export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  if (!await exists(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it with \`apt-get install chromium\` ` +
        "(or set NATTER_TEST_CHROMIUM)",
    );
  }
  if (!await exists(PLAYWRIGHT)) {
    throw new Error(
      "tests/browser has no playwright-core: run `npm ci --prefix tests/browser` " +
        "(`deno task test` does)",
    );
  }
  const driver = startDriver();
  try {
    const version = await driver.request("launch", {
      executablePath: CHROMIUM,
      hosts: options.hosts ?? {},
    }) as string;
    return {
      version,
      async open(name, url, { viewport } = {}) {
        await driver.request("open", { page: name, url, viewport });
        return pageOf(driver, name);
      },
      closeAll: () => driver.request("closeAll").then(() => {}),
      [Symbol.asyncDispose]: () => driver.stop(),
    };
  } catch (error) {
    await driver.stop();
    throw error;
  }
}

function pageOf(driver: Driver, name: string): Page {
  const page = { page: name };
  const ask = async (op: string, params: Record<string, unknown> = {}) =>
    await driver.request(op, { ...page, ...params });
  const act = async (target: Field, action: string, value?: string) => {
    await ask("act", {
      target: field(target, action === "click" ? "button" : "label"),
      action,
      value,
    });
  };
  const read = (target: Field, what: string, name?: string) =>
    ask("read", { target: field(target, "label"), what, name });
  return {
    name,
    goto: async (url) => void await ask("goto", { url }),
    reload: async () => void await ask("reload"),
    close: async () => void await ask("close"),
    click: (target) => act(target, "click"),
    fill: (target, value) => act(target, "fill", value),
    press: (target, key) => act(target, "press", key),
    select: (target, option) => act(target, "select", option),
    check: (target) => act(target, "check"),
    uncheck: (target) => act(target, "uncheck"),
    texts: async (target) => await read(target, "texts") as string[],
    count: async (target) => await read(target, "count") as number,
    visible: async (target) => await read(target, "visible") as boolean,
    attribute: async (target, name) => await read(target, "attribute", name) as string | null,
    value: async (target) => await read(target, "value") as string,
    async waitFor(target, { state, count, timeoutMs } = {}) {
      if (state !== undefined && count !== undefined) {
        throw new TypeError("waitFor takes a state or a count, not both");
      }
      await ask("wait", {
        target,
        state: count === undefined ? state ?? "visible" : "count",
        count,
        timeout: timeoutMs,
      });
    },
    evaluate: async <T>(expression: string) => await ask("evaluate", { expression }) as T,
    screenshot: async (path, { fullPage = false } = {}) =>
      void await ask("screenshot", { path, fullPage }),
    events: async (match = {}) => await ask("events", { match }) as PageEvent[],
    waitForEvent: async (match, timeoutMs) =>
      await ask("waitEvent", { match, timeout: timeoutMs }) as PageEvent,
  };
}

/** A string target as the method means it: a button's name, or a field's label. */
function field(target: Field, as: "button" | "label"): Locator {
  if (typeof target !== "string") return target;
  return as === "button" ? role("button", target) : label(target);
}

/** The driver process, its requests in flight, and how to stop it. */
interface Driver {
  request(op: string, params?: Record<string, unknown>): Promise<unknown>;
  /** Ends its stdin (it then closes Chromium and exits), killing it if it lingers. */
  stop(): Promise<void>;
}

type Answer = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

function startDriver(): Driver {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(nodeBinary(), {
      args: [DRIVER.pathname],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error("Node.js was not found on PATH: the browser tests drive Chromium with it");
    }
    throw error;
  }
  const writer = child.stdin.getWriter();
  const waiting = new Map<number, (answer: Answer) => void>();
  let nextId = 1;
  let stderr = "";
  let exited: string | undefined;

  const readAnswers = async () => {
    let buffered = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let end;
      while ((end = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        let answer: Answer;
        try {
          answer = JSON.parse(line);
        } catch {
          // Not an answer: something in the driver printed; keep it for the error log.
          stderr += `${line}\n`;
          continue;
        }
        waiting.get(answer.id)?.(answer);
        waiting.delete(answer.id);
      }
    }
  };
  const readErrors = async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) stderr += chunk;
  };
  const finished = Promise.all([readAnswers(), readErrors(), child.status]).then(([, , status]) => {
    exited = `The browser driver exited with code ${status.code}:\n${stderr.slice(-2_000)}`;
    for (const [id, resolve] of waiting) resolve({ id, ok: false, error: exited });
    waiting.clear();
  });

  return {
    async request(op, params = {}) {
      if (exited) throw new Error(exited);
      const id = nextId++;
      const answered = new Promise<Answer>((resolve) => waiting.set(id, resolve));
      await writer.write(new TextEncoder().encode(JSON.stringify({ id, op, ...params }) + "\n"));
      const answer = await answered;
      // Thrown here, so the stack shows the test's line that asked.
      if (!answer.ok) throw new Error(answer.error);
      return answer.value;
    },
    async stop() {
      await writer.close().catch(() => {});
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // It exited meanwhile.
        }
      }, EXIT_DEADLINE_MS);
      await finished;
      clearTimeout(timer);
    },
  };
}

/** A web server of a test's own pages, on a free port of 127.0.0.1; `origin` is its URL. */
export interface PageServer extends AsyncDisposable {
  origin: string;
}

/**
 * Serves `files` (path → content, typed by the path's extension: `.html`,
 * `.js`, `.css`, and HTML for a path ending in `/`); other paths get 404, but for `/favicon.ico`, which gets an
 * empty answer: browsers ask for it on their own, and its 404 would be a
 * console error of the page.
 */
export function serveFiles(files: Record<string, string>): PageServer {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, ({ url }) => {
    const { pathname } = new URL(url);
    const content = files[pathname];
    if (content === undefined) {
      return new Response(null, { status: pathname === "/favicon.ico" ? 204 : 404 });
    }
    const extension = pathname.endsWith("/") ? ".html" : pathname.slice(pathname.lastIndexOf("."));
    const type = CONTENT_TYPES[extension] ?? "text/plain";
    return new Response(content, { headers: { "content-type": `${type}; charset=utf-8` } });
  });
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
};

async function exists(path: string | URL): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
