/**
 * Natter's Deno entry point: hands Deno's environment, signals and edges to
 * the shared {@linkcode runServer}. `EDGE=ws` serves with `node:http` and
 * `ws` instead of `Deno.upgradeWebSocket`. The web app is read from
 * `dist/web/`, where `deno task build:web` writes it.
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
    args: Deno.args,
    edges: { deno: serveDeno, ws: serveNode },
    readWebFile: (name) => Deno.readFile(new URL(`dist/web/${name}`, import.meta.url)),
    stdoutIsTerminal: Deno.stdout.isTerminal(),
    memoryUsage: () => Deno.memoryUsage(),
    onSignal: (signal, listener) => Deno.addSignalListener(signal, listener),
    exit: (code) => Deno.exit(code),
  });
}
