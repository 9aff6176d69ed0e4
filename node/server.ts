/**
 * Natter's Node entry point, built into `dist/node/server.js` by
 * `deno task build:node`: hands Node's environment, signals and its one edge
 * (`node:http` with `ws`) to the same {@linkcode runServer} Deno runs.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import process from "node:process";
import { runServer } from "../src/server.ts";
import { serveNode } from "../src/runtime/node.ts";

await runServer({
  runtime: "node",
  env: process.env,
  // Node's argv starts with the node binary and this script.
  args: process.argv.slice(2),
  edges: { ws: serveNode },
  // The build puts the web app in web/ beside server.js.
  readWebFile: (name) => readFile(new URL(`./web/${name}`, import.meta.url)),
  stdoutIsTerminal: process.stdout.isTTY === true,
  memoryUsage: () => process.memoryUsage(),
  onSignal: (signal, listener) => process.on(signal, listener),
  exit: (code) => process.exit(code),
});
