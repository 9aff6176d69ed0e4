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
const SOURCES = ["src/", "node/"].map((dir) => new URL(`../../${dir}`, import.meta.url));
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
  const server = new URL("server.js", DIST);
  const built = await Deno.stat(server).catch(() => undefined);
  if (!built?.mtime) {
    throw new Error(
      "dist/node/server.js is missing: run `deno task build:node` (`deno task test` does)",
    );
  }
  const newer = await newestSource();
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

/** The most recently modified source file the Node build is made from. */
async function newestSource(): Promise<{ path: string; mtime: Date } | undefined> {
  let newest: { path: string; mtime: Date } | undefined;
  const visit = async (dir: URL): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
      if (entry.isDirectory) await visit(url);
      const { mtime } = await Deno.stat(url);
      if (entry.isFile && mtime && (!newest || mtime > newest.mtime)) {
        newest = { path: url.pathname, mtime };
      }
    }
  };
  for (const dir of SOURCES) await visit(dir);
  return newest;
}

/**
 * The command that runs Natter on `runtime`: the program and its arguments.
 * `NATTER_TEST_NODE` names another Node binary to run the Node build with
 * (default: `node` on PATH), to run the suite on another Node version.
 */
export async function natterCommand(runtime: Runtime): Promise<[string, string[]]> {
  if (runtime === "node") {
    return [Deno.env.get("NATTER_TEST_NODE") ?? "node", [await nodeServer()]];
  }
  const main = new URL("../../main.ts", import.meta.url).pathname;
  return [Deno.execPath(), ["run", "--allow-net", "--allow-env", main]];
}
