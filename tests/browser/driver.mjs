/**
 * The Node half of the browser tests: Playwright does not run under Deno, so
 * the Deno tests (through tests/support/browser.ts) drive one Chromium with
 * this script, speaking JSON lines over stdin and stdout. Each request is one
 * line `{"id", "op", ...params}`; each answer one line `{"id","ok":true,"value"}`
 * or `{"id","ok":false,"error"}`, in the order the operations finish.
 *
 * Pages are named (`alice`, `bob`); each name has its own BrowserContext, so
 * two users share no storage, and closing a page keeps its context: opening
 * the name again finds its localStorage as it was. Every dialog is dismissed
 * and recorded, with every page error and console message, as the page's
 * events.
 *
 * When stdin ends (the test finished, or its process died) the script closes
 * Chromium and exits, so no browser outlives its test.
 *
 * Usage: node tests/browser/driver.mjs (then send `{"id":1,"op":"launch",...}`)
 */
import { createRequire } from "node:module";
import { createInterface } from "node:readline";

// Playwright's errors end up in test logs, where terminal colors are noise;
// it reads this as it loads.
process.env.FORCE_COLOR = "0";
// Required rather than imported: `deno check tests/` reads this file too, and
// playwright-core is a dependency of this folder's package.json, which Deno's
// import map does not (and need not) know.
const { chromium } = createRequire(import.meta.url)("playwright-core");

/** How long an action, a navigation, or a wait that names no timeout may take. */
const DEFAULT_TIMEOUT_MS = 10_000;
/** How often a wait looks at the page again. */
const POLL_MS = 50;
/** Most characters of page text an error shows. */
const SHOWN_CHARS = 2_000;

let browser;
/** Name → `{ context, page, events, wake }`; `page` is undefined while closed. */
const named = new Map();

/** What each `op` does with its request; the value it returns is the answer's. */
const OPS = {
  async launch({ executablePath, hosts }) {
    if (browser) throw new Error("Chromium is already launched");
    const rules = Object.entries(hosts).map(([from, to]) => `MAP ${from} ${to}`);
    browser = await chromium.launch({
      executablePath,
      headless: true,
      // Playwright adds --no-sandbox (its chromiumSandbox is off by default),
      // which Chromium needs to start as root, as it does in CI containers.
      args: [
        "--disable-gpu",
        "--disable-background-networking",
        ...(rules.length > 0 ? [`--host-resolver-rules=${rules.join(",")}`] : []),
      ],
    });
    return browser.version();
  },

  async open({ page: name, url, viewport }) {
    let entry = named.get(name);
    if (entry?.page) throw new Error(`Page ${name} is already open`);
    if (!entry) {
      const context = await browser.newContext();
      context.setDefaultTimeout(DEFAULT_TIMEOUT_MS);
      entry = { context, page: undefined, events: [], wake: new Set() };
      named.set(name, entry);
    }
    const page = await entry.context.newPage();
    if (viewport) await page.setViewportSize(viewport);
    entry.page = page;
    entry.events = [];
    record(entry, page);
    await page.goto(url);
  },

  goto: async ({ page, url }) => void await open(page).goto(url),
  reload: async ({ page }) => void await open(page).reload(),

  async close({ page: name }) {
    const entry = named.get(name);
    const page = entry?.page;
    if (!page) throw new Error(`Page ${name} is not open`);
    entry.page = undefined;
    await page.close();
  },

  async closeAll() {
    const contexts = [...named.values()].map((entry) => entry.context);
    named.clear();
    await Promise.all(contexts.map((context) => context.close()));
  },

  async act({ page, target, action, value }) {
    const found = locate(open(page), target);
    try {
      switch (action) {
        case "click":
          return void await found.click();
        case "fill":
          return void await found.fill(value);
        case "press":
          return void await found.press(value);
        case "select":
          return void await found.selectOption(value);
        case "check":
          return void await found.check();
        case "uncheck":
          return void await found.uncheck();
        default:
          throw new TypeError(`Unknown action: ${action}`);
      }
    } catch (error) {
      throw await explained(
        open(page),
        target,
        `Cannot ${action} ${describe(target)}`,
        error,
      );
    }
  },

  async read({ page, target, what, name }) {
    const found = locate(open(page), target);
    switch (what) {
      case "texts":
        return await found.allInnerTexts();
      case "count":
        return await found.count();
      case "visible":
        return await found.filter({ visible: true }).count() > 0;
      case "attribute":
        return await found.getAttribute(name);
      case "value":
        return await found.inputValue();
      default:
        throw new TypeError(`Unknown read: ${what}`);
    }
  },

  async wait(
    { page: name, target, state, count, timeout = DEFAULT_TIMEOUT_MS },
  ) {
    const page = open(name);
    const found = locate(page, target);
    const [awaited, done] = state === "count"
      ? [
        `${count} match(es) of ${describe(target)}`,
        async () => await found.count() === count,
      ]
      : [
        `${describe(target)} to be ${state}`,
        async () =>
          (await found.filter({ visible: true }).count() > 0) ===
            (state === "visible"),
      ];
    const deadline = Date.now() + timeout;
    while (!await done()) {
      if (Date.now() >= deadline) {
        throw await explained(
          page,
          target,
          `Waited ${timeout} ms for ${awaited}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  },

  evaluate: async ({ page, expression }) => await open(page).evaluate(expression),

  screenshot: async ({ page, path, fullPage }) =>
    void await open(page).screenshot({ path, fullPage }),

  events: ({ page, match }) => named.get(page)?.events.filter(matching(match)) ?? [],

  async waitEvent({ page: name, match, timeout = DEFAULT_TIMEOUT_MS }) {
    const entry = named.get(name);
    if (!entry?.page) throw new Error(`Page ${name} is not open`);
    const wanted = matching(match);
    const deadline = Date.now() + timeout;
    while (true) {
      const event = entry.events.find(wanted);
      if (event) return event;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `Waited ${timeout} ms for a ${JSON.stringify(match)} event on page ${name}; ` +
            `its events: ${JSON.stringify(entry.events).slice(0, SHOWN_CHARS)}`,
        );
      }
      // Woken by the next event, or at the deadline.
      await new Promise((resolve) => {
        const timer = setTimeout(wake, left);
        function wake() {
          clearTimeout(timer);
          entry.wake.delete(wake);
          resolve();
        }
        entry.wake.add(wake);
      });
    }
  },
};

/** The open page named `name`, or an error saying it is not open. */
function open(name) {
  const page = named.get(name)?.page;
  if (!page) throw new Error(`Page ${name} is not open`);
  return page;
}

/** Records `page`'s dialogs (dismissed), page errors and console messages in `entry.events`. */
function record(entry, page) {
  const add = (event) => {
    // A late event of a page closed since must not land in the next page's record.
    if (entry.page !== page) return;
    entry.events.push(event);
    for (const wake of entry.wake) wake();
  };
  page.on("dialog", (dialog) => {
    add({ type: "dialog", kind: dialog.type(), text: dialog.message() });
    dialog.dismiss().catch(() => {});
  });
  page.on(
    "pageerror",
    (error) => add({ type: "pageerror", text: String(error) }),
  );
  page.on(
    "console",
    (message) => add({ type: "console", kind: message.type(), text: message.text() }),
  );
}

/** Whether an event has every field of `match`; `text` matches any part of the event's. */
function matching(match = {}) {
  return (event) =>
    Object.entries(match).every(([key, value]) =>
      key === "text" ? event.text.includes(value) : event[key] === value
    );
}

/**
 * The Playwright locator for a target: one of `role` (with `name`), `label`,
 * `text` or `css`; then `hasText` and `nth` narrow it; `within` is the target
 * it is looked for inside.
 */
function locate(page, target) {
  const scope = target.within ? locate(page, target.within) : page;
  const exact = target.exact === undefined ? {} : { exact: target.exact };
  let found;
  if (target.role !== undefined) {
    found = scope.getByRole(
      target.role,
      target.name === undefined ? {} : { name: target.name, ...exact },
    );
  } else if (target.label !== undefined) {
    found = scope.getByLabel(target.label, exact);
  } else if (target.text !== undefined) {
    found = scope.getByText(target.text, exact);
  } else if (target.css !== undefined) found = scope.locator(target.css);
  else {throw new TypeError(
      `A target needs role, label, text or css: ${JSON.stringify(target)}`,
    );}
  if (target.hasText !== undefined) {
    found = found.filter({ hasText: target.hasText });
  }
  return target.nth === undefined ? found : found.nth(target.nth);
}

/** A target as a reader says it: `listitem containing "hi" inside list "Messages"`. */
function describe(target) {
  const what = target.role !== undefined
    ? target.role + (target.name === undefined ? "" : ` "${target.name}"`)
    : target.label !== undefined
    ? `field labelled "${target.label}"`
    : target.text !== undefined
    ? `text "${target.text}"`
    : `css ${target.css}`;
  return what +
    (target.hasText === undefined ? "" : ` containing "${target.hasText}"`) +
    (target.nth === undefined ? "" : ` (match ${target.nth})`) +
    (target.within ? ` inside ${describe(target.within)}` : "");
}

/**
 * An error that says what failed and shows what the page showed meanwhile:
 * the text of the target's scope (or of the whole page), and the matches.
 */
async function explained(page, target, failure, cause) {
  const shown = async (locator) =>
    (await locator.first().innerText({ timeout: 1_000 })).slice(0, SHOWN_CHARS);
  const scoped = target.within &&
    await shown(locate(page, target.within)).catch(() => undefined);
  const [where, text] = scoped === undefined
    ? ["the page", await shown(page.locator("body")).catch(() => "(none)")]
    : [describe(target.within), scoped];
  const matches = await locate(page, target).allInnerTexts().catch(() => []);
  const why = cause ? `: ${String(cause.message ?? cause).slice(0, SHOWN_CHARS)}` : "";
  return new Error(
    `${failure}${why}\n${matches.length} match(es) now: ${JSON.stringify(matches)}\n` +
      `Text of ${where}:\n${text}`,
  );
}

/** Runs one request line and writes its answer line. */
async function answer(line) {
  let id;
  try {
    const { id: requestId, op, ...params } = JSON.parse(line);
    id = requestId;
    if (!Object.hasOwn(OPS, op)) throw new TypeError(`Unknown op: ${op}`);
    if (op !== "launch" && !browser) {
      throw new Error("Chromium is not launched");
    }
    const value = await OPS[op](params);
    process.stdout.write(
      JSON.stringify({ id, ok: true, value: value ?? null }) + "\n",
    );
  } catch (error) {
    process.stdout.write(
      JSON.stringify({ id, ok: false, error: String(error.message ?? error) }) +
        "\n",
    );
  }
}

const input = createInterface({ input: process.stdin });
input.on("line", (line) => void answer(line));
input.on("close", async () => {
  await browser?.close().catch(() => {});
  process.exit(0);
});
