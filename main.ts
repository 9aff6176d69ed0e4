/**
 * Natter's Deno entry point: hands Deno's environment, signals and edges to
 * the shared {@linkcode runServer}. `EDGE=ws` serves with `node:http` and
 * `ws` instead of `Deno.upgradeWebSocket`.
 *
 * @module
 */
import { runServer } from "./src/server.ts";
import { serveDeno } from "./src/runtime/deno.ts";
import { serveNode } from "./src/runtime/node.ts";

if (import.meta.main) {
  await runServer({
    runtime: "deno",
    env: Deno.env.toObject(),
    edges: { deno: serveDeno, ws: serveNode },
    onSignal: (signal, listener) => Deno.addSignalListener(signal, listener),
    exit: (code) => Deno.exit(code),
  });
}
