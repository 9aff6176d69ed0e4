/**
 * Natter's Node entry point, built into `dist/node/server.js` by
 * `deno task build:node`: hands Node's environment, signals and its one edge
 * (`node:http` with `ws`) to the same {@linkcode runServer} Deno runs.
 *
 * @module
 */
import process from "node:process";
import { runServer } from "../src/server.ts";
import { serveNode } from "../src/runtime/node.ts";

await runServer({
  runtime: "node",
  env: process.env,
  edges: { ws: serveNode },
  onSignal: (signal, listener) => process.on(signal, listener),
  exit: (code) => process.exit(code),
});
