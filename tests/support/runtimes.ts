/**
 * The runtimes the end-to-end suite runs Natter on: Deno (`main.ts`, or the
 * same app in process) and Node (the `dist/node/` build that
 * `deno task test` makes first). A flow registered with
 * {@linkcode testEachRuntime} runs once on each.
 *
 * @module
 */

/** A runtime Natter ships for. */
export type Runtime = "deno" | "node";

/** Every runtime, in the order their tests run. */
export const RUNTIMES: readonly Runtime[] = ["deno", "node"];

/** Registers `name` once per runtime, as `name [deno]` and `name [node]`. */
export function testEachRuntime(name: string, fn: (runtime: Runtime) => Promise<void>): void {
  for (const runtime of RUNTIMES) Deno.test(`${name} [${runtime}]`, () => fn(runtime));
}

const NODE_HINT = "Node.js 20 or newer (with npm) is required for the Node runs of this suite " +
  "and was not found on PATH. Install it with `apt-get install nodejs npm` (Debian/Ubuntu) " +
  "or from https://nodejs.org.";

const DIST = new URL("../../dist/node/", import.meta.url);
/** What the build is made from: a change to any of them makes `dist/node/` stale. */
const SOURCES = ["src/", "node/", "web/", "build/", "deno.json", "deno.lock", "README.md"].map((
  path,
) => new URL(`../../${path}`, import.meta.url));
let installed: Promise<string> | undefined;

/**
 * The path of the built Node server, with its dependencies installed
 * (`npm install --omit=dev`, once per test run). Fails, saying what to run,
 * when the build is missing or older than the source it was built from.
 */
export function nodeServer(): Promise<string> {
  installed ??= install();
  return installed;
}

async function install(): Promise<string> {
  await requireNode20();
  const server = new URL("server.js", DIST);
  const built = await Deno.stat(server).catch(() => undefined);
  if (!built?.mtime) {
    throw new Error(
      "dist/node/server.js is missing: run `deno task build:node` (`deno task test` does)",
    );
  }
  const newer = await newestSource(SOURCES);
  if (newer && newer.mtime > built.mtime) {
    throw new Error(
      `dist/node/ is older than ${newer.path}: run \`deno task build:node\` (\`deno task test\` does)`,
    );
  }
  let result;
  try {
    result = await new Deno.Command("npm", {
      args: ["install", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error"],
      cwd: DIST,
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new Error(NODE_HINT);
    throw error;
  }
  if (!result.success) {
    throw new Error(`npm install in dist/node failed:\n${new TextDecoder().decode(result.stderr)}`);
  }
  return server.pathname;
}

/** Fails with how to get Node unless the Node under test is version 20 or newer. */
async function requireNode20(): Promise<void> {
  let version: string;
  try {
    const { stdout } = await new Deno.Command(nodeBinary(), { args: ["--version"] }).output();
    version = new TextDecoder().decode(stdout).trim();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new Error(NODE_HINT);
    throw error;
  }
  const major = Number(version.match(/^v(\d+)\./)?.[1]);
  if (!(major >= 20)) throw new Error(`${NODE_HINT} Found ${version || "no version"}.`);
}

/** The most recently modified file of `sources` (files and folders). */
async function newestSource(sources: URL[]): Promise<{ path: string; mtime: Date } | undefined> {
  let newest: { path: string; mtime: Date } | undefined;
  const visit = async (url: URL): Promise<void> => {
    const { isDirectory, mtime } = await Deno.stat(url);
    if (isDirectory) {
      for await (const entry of Deno.readDir(url)) {
        await visit(new URL(entry.name + (entry.isDirectory ? "/" : ""), url));
      }
    } else if (mtime && (!newest || mtime > newest.mtime)) {
      newest = { path: url.pathname, mtime };
    }
  };
  for (const source of sources) await visit(source);
  return newest;
}

/** What the web app is built from: a change to any of them makes `dist/web/` stale. */
const WEB_SOURCES = ["web/", "src/client/", "build/"].map((path) =>
  new URL(`../../${path}`, import.meta.url)
);
let webChecked: Promise<void> | undefined;

/** Fails, saying what to run, when `dist/web/` is missing or older than its sources. */
async function requireFreshWeb(): Promise<void> {
  const built = await Deno.stat(new URL("../../dist/web/app.js", import.meta.url)).catch(() =>
    undefined
  );
  const hint = "run `deno task build:web` (`deno task test` does)";
  if (!built?.mtime) throw new Error(`dist/web/app.js is missing: ${hint}`);
  const newer = await newestSource(WEB_SOURCES);
  if (newer && newer.mtime > built.mtime) {
    throw new Error(`dist/web/ is older than ${newer.path}: ${hint}`);
  }
}

/** The Node binary the suite runs: `NATTER_TEST_NODE`, or `node` on PATH. */
export function nodeBinary(): string {
  return Deno.env.get("NATTER_TEST_NODE") ?? "node";
}

/**
 * The command that runs Natter on `runtime`: the program and its arguments.
 * `NATTER_TEST_NODE` names another Node binary to run the Node build with
 * (default: `node` on PATH), to run the suite on another Node version.
 */
export async function natterCommand(runtime: Runtime): Promise<[string, string[]]> {
  if (runtime === "node") {
    return [nodeBinary(), [await nodeServer()]];
  }
  webChecked ??= requireFreshWeb();
  await webChecked;
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const web = new URL("../../dist/web", import.meta.url).pathname;
  return [Deno.execPath(), ["run", "--allow-net", "--allow-env", `--allow-read=${web}`, main]];
}
