/**
 * The Node distribution as a package: what `deno task build:node` puts in
 * `dist/node/`, and `npm pack` of it installed into an empty project
 * elsewhere, its `natter` bin serving clients and stopping on SIGTERM, and
 * its `natter/client` SDK chatting from Node 20 with the `ws` package.
 */
import { connect } from "../support/client.ts";
import { startNatter } from "../support/process.ts";
import { nodeBinary, nodeServer } from "../support/runtimes.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";

const DIST = new URL("../../dist/node/", import.meta.url);

/** Runs `program` in `cwd`; fails with its output unless it succeeds. Answers its stdout. */
async function run(program: string, args: string[], cwd: string | URL): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command(program, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  assert(success, `${program} ${args.join(" ")} failed:\n${decoder.decode(stderr)}`);
  return decoder.decode(stdout);
}

Deno.test("node package: package.json names natter, its bin and engines, and pins what server.js imports", async () => {
  await nodeServer();
  const manifest = JSON.parse(await Deno.readTextFile(new URL("package.json", DIST)));
  assertEquals(
    [manifest.name, manifest.type, manifest.bin, manifest.engines],
    ["natter", "module", { natter: "server.js" }, { node: ">=20" }],
  );
  const { imports } = JSON.parse(
    await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
  );
  for (const [name, version] of Object.entries(manifest.dependencies)) {
    assertEquals(imports[name], `npm:${name}@${version}`, `${name} is pinned as in deno.json`);
  }
  const server = await Deno.readTextFile(new URL("server.js", DIST));
  assert(server.startsWith("#!/usr/bin/env node\n"), "server.js starts with a node shebang");
  const imported = new Set(
    [...server.matchAll(/^import\b[^"]*"([^"]+)";$/gm)].map((match) => match[1]),
  );
  const packages = [...imported].filter((specifier) => !specifier.startsWith("node:")).sort();
  assertEquals(packages, Object.keys(manifest.dependencies).sort(), "every import is declared");
  assertEquals([...server.matchAll(/\bDeno\.|"npm:|"jsr:/g)].length, 0, "nothing Deno-only");
});

Deno.test("node package: npm pack installs into an empty project; its natter bin serves and stops on SIGTERM", async () => {
  await nodeServer();
  const scratch = await Deno.makeTempDir({ prefix: "natter-pack-" });
  try {
    const [packed] = JSON.parse(
      await run("npm", ["pack", "--json", "--pack-destination", scratch], DIST),
    );
    assertEquals(
      packed.files.map((file: { path: string }) => file.path).sort(),
      [
        "README.md",
        "client.js",
        "package.json",
        "server.js",
        "web/app.css",
        "web/app.js",
        "web/icon.svg",
        "web/index.html",
      ],
    );
    const project = `${scratch}/project`;
    await Deno.mkdir(project);
    await run("npm", ["init", "-y"], project);
    await run(
      "npm",
      ["install", "--omit=dev", "--no-audit", "--no-fund", `${scratch}/${packed.filename}`],
      project,
    );
    // The bin's `#!/usr/bin/env node` finds the Node under test first.
    const node = nodeBinary();
    const path = node.includes("/")
      ? `${node.slice(0, node.lastIndexOf("/"))}:${Deno.env.get("PATH")}`
      : undefined;
    await using natter = await startNatter(
      [`${project}/node_modules/.bin/natter`, []],
      { LOG_LEVEL: "info", ...(path ? { PATH: path } : {}) },
      "the installed natter bin",
    );
    assertMatch(natter.output(), /natter \S+ listening .* runtime=node edge=ws/);
    // The web app ships in the package: a browser opening / gets its page and script.
    const page = await fetch(`${natter.http}/`, { headers: { accept: "text/html" } });
    assertMatch(await page.text(), /<title>Natter<\/title>/);
    const script = await fetch(`${natter.http}/app.js`);
    assertEquals([script.status, script.headers.get("content-type")], [
      200,
      "text/javascript; charset=utf-8",
    ]);
    await script.body?.cancel();
    await using alice = await connect(`${natter.ws}?username=alice`);
    assertEquals((await alice.take({ type: "sessionID" })).username, "alice");
    // The SDK as the project imports it, on Node with `ws` (Node 20 has no global WebSocket).
    const chat = await run(node, ["--input-type=module", "-e", sdkChat(natter.ws)], project);
    assertEquals(JSON.parse(chat), { received: ["hello from node"], idIsMessageId: true });
    natter.child.kill("SIGTERM");
    assertEquals((await alice.closed).code, 1012);
    assertEquals((await natter.status).code, 0);
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
});

/** A Node program: two SDK clients from `natter/client` on `ws`, one says hello to the other. */
function sdkChat(url: string): string {
  return `
import WebSocket from "ws";
import { connect } from "natter/client";
const options = { url: ${JSON.stringify(url)}, WebSocket };
const ann = connect({ ...options, username: "ann" });
const ben = connect({ ...options, username: "ben" });
await Promise.all([ann.ready(), ben.ready()]);
await ann.join("room");
await ben.join("room");
const received = new Promise((resolve) => ben.on("message", (m) => resolve(m.message)));
const id = await ann.broadcast("room", "hello from node");
console.log(JSON.stringify({ received: [await received], idIsMessageId: /^\\d{13}-\\d{6}$/.test(id) }));
ann.close();
ben.close();
`;
}
