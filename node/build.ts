/**
 * `deno task build:node`: builds the Node distribution in `dist/node/` from
 * the same source the Deno server runs.
 *
 * - `server.js`: `node/server.ts` and everything it imports, bundled into one
 *   ES module by `deno bundle`. npm packages stay `import`s of their bare
 *   names, resolved by npm at install time, not vendored.
 * - `client.js`: the client SDK (`src/client/mod.ts`) bundled whole into one
 *   ES module with no imports, for Node and browsers alike; the package
 *   exports it as `natter/client`.
 * - `web/`: the chat web app (`deno task build:web`), which the server
 *   serves at `/`.
 * - `package.json`: name `natter`, a `natter` bin, `engines.node`, and as
 *   dependencies exactly the packages the bundle imports, pinned to the
 *   versions `deno.json` (and so `deno.lock`) uses.
 * - `README.md`: `node/README.md` followed by the configuration section of
 *   the project README, so the package documents the same variables.
 *
 * The build fails if the bundle would need anything Node lacks: a `Deno`
 * global, an `npm:` or `jsr:` specifier, or a package `deno.json` does not pin.
 * `node_modules/` and `package-lock.json` in `dist/node/` survive a rebuild.
 *
 * @module
 */
import { bundled } from "../build/bundle.ts";
import { VERSION } from "../src/version.ts";
import { buildWeb } from "../web/build.ts";

const ROOT = new URL("../", import.meta.url);
const OUT = new URL("dist/node/", ROOT);
const ENTRY = new URL("node/server.ts", ROOT);
const CLIENT_ENTRY = new URL("src/client/mod.ts", ROOT);
/** The oldest Node the build supports; see "Run on Node" in the README. */
const NODE_ENGINES = ">=20";
/** What an earlier `npm install` left in `dist/node/`, kept to make rebuilds cheap. */
const KEPT = new Set(["node_modules", "package-lock.json"]);

/** The npm packages `deno.json` pins, by bare name: `{ ws: "8.23.0", … }`. */
async function pinnedPackages(): Promise<Map<string, string>> {
  const { imports } = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))) as {
    imports: Record<string, string>;
  };
  const pinned = new Map<string, string>();
  for (const target of Object.values(imports)) {
    const match = target.match(/^npm:(@?[^@]+)@(.+)$/);
    if (match) pinned.set(match[1], match[2]);
  }
  return pinned;
}

/**
 * The module specifiers a bundle loads: `import … from`, `export … from`,
 * side-effect `import "x"`, dynamic `import("x")`, and the `require("x")`
 * of bundled CommonJS code.
 */
function importedSpecifiers(code: string): Set<string> {
  const specifiers = new Set<string>();
  const patterns = [
    /^\s*(?:import|export)\b[^"';]*?\bfrom\s*"([^"]+)"/gm,
    /^\s*import\s*"([^"]+)"/gm,
    /\bimport\(\s*"([^"]+)"\s*\)/g,
    /\b(?:__)?require\(\s*"([^"]+)"\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) specifiers.add(match[1]);
  }
  return specifiers;
}

/** The packages the bundle needs with their versions, or an error naming what Node cannot load. */
function dependencies(code: string, pinned: Map<string, string>): Record<string, string> {
  const problems: string[] = [];
  if (/\bDeno\./.test(code)) problems.push("it uses the Deno global");
  const needed: Record<string, string> = {};
  for (const specifier of importedSpecifiers(code)) {
    if (specifier.startsWith("node:")) continue;
    const name = specifier.match(/^(@[^/]+\/[^/]+|[^/]+)/)?.[1] ?? specifier;
    const version = pinned.get(name);
    if (version === undefined) {
      problems.push(`it imports "${specifier}", which deno.json does not pin`);
    } else needed[name] = version;
  }
  if (problems.length > 0) throw new Error(`The Node bundle would not run: ${problems.join("; ")}`);
  return Object.fromEntries(Object.entries(needed).sort(([a], [b]) => a.localeCompare(b)));
}

function packageJson(dependencies: Record<string, string>): string {
  const manifest = {
    name: "natter",
    version: VERSION,
    description:
      "Real-time chat backend: WebSocket clients, channels, direct messages, presence, history; one process or many on Redis.",
    type: "module",
    bin: { natter: "server.js" },
    exports: { "./client": "./client.js" },
    files: ["server.js", "client.js", "web/", "README.md"],
    engines: { node: NODE_ENGINES },
    scripts: { start: "node server.js" },
    dependencies,
  };
  return JSON.stringify(manifest, null, 2) + "\n";
}

/** The README's `## Configuration` section, up to the next section, without repository links. */
function configurationSection(readme: string): string {
  const start = readme.indexOf("\n## Configuration\n");
  const end = readme.indexOf("\n## ", start + 1);
  if (start < 0 || end < 0) throw new Error("README.md has no ## Configuration section");
  // Links into the repository (docs/…, #anchors) do not resolve inside an npm package.
  return readme.slice(start + 1, end).trim().replace(/\[([^\]]+)\]\((?!https?:)[^)]*\)/g, "$1") +
    "\n";
}

/** Empties `dist/node/` except what `npm install` left there. */
async function clean(): Promise<void> {
  await Deno.mkdir(OUT, { recursive: true });
  for await (const entry of Deno.readDir(OUT)) {
    if (!KEPT.has(entry.name)) await Deno.remove(new URL(entry.name, OUT), { recursive: true });
  }
}

/**
 * Builds `dist/node/`; returns the files written and their sizes in bytes.
 * A bundle that fails its checks leaves `dist/node/` as it was.
 */
async function buildNode(): Promise<Record<string, number>> {
  const pinned = await pinnedPackages();
  const code = await bundled(ENTRY, "deno", [...pinned.keys()]);
  const needed = dependencies(code, pinned);
  const client = await bundled(CLIENT_ENTRY, "browser", []);
  // The client runs where nothing is installed: a browser page, any project.
  if (Object.keys(dependencies(client, new Map())).length > 0) {
    throw new Error("The client bundle would not run: it imports a package");
  }
  await clean();
  const serverJs = new URL("server.js", OUT);
  await Deno.writeTextFile(serverJs, `#!/usr/bin/env node\n${code}`);
  await Deno.chmod(serverJs, 0o755);
  await Deno.writeTextFile(new URL("client.js", OUT), client);
  await buildWeb(new URL("web/", OUT));
  await Deno.writeTextFile(new URL("package.json", OUT), packageJson(needed));
  const intro = await Deno.readTextFile(new URL("node/README.md", ROOT));
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  await Deno.writeTextFile(
    new URL("README.md", OUT),
    `${intro.trim()}\n\n${configurationSection(readme)}`,
  );
  const sizes: Record<string, number> = {};
  for (const name of ["server.js", "client.js", "package.json", "README.md"]) {
    sizes[name] = (await Deno.stat(new URL(name, OUT))).size;
  }
  return sizes;
}

if (import.meta.main) {
  const sizes = await buildNode();
  const total = Object.values(sizes).reduce((sum, size) => sum + size, 0);
  console.log(
    `built ${new URL(".", OUT).pathname}: ${
      Object.entries(sizes).map(([name, size]) => `${name} ${(size / 1024).toFixed(1)} KiB`).join(
        ", ",
      )
    } (${(total / 1024).toFixed(1)} KiB)`,
  );
}
