/**
 * The shape of the code, checked: the core is runtime-agnostic (outside
 * `src/runtime/`, no module touches `Deno.*` or imports `node:*`, so the
 * Node build can share it), every module stays small, and imports point one
 * way: from the edges down to the protocol, and inside the protocol, the
 * broker and the core from the top module down to the leaves, never back up.
 */
import { assert, assertEquals } from "./support/assert.ts";

const SRC = new URL("../src/", import.meta.url);

/** Most lines a module under `src/` may have: one concept, one module. */
const MAX_MODULE_LINES = 400;

/**
 * The layers of `src/`, lowest first: a module may import only from its own
 * layer or a lower one. Paths are relative to `src/`; a folder stands for
 * every module in it.
 */
const LAYERS: readonly string[][] = [
  [
    "protocol/",
    "metrics/",
    "ids.ts",
    "log.ts",
    "version.ts",
    "web.ts",
    "tracing.ts",
    "webhooks/events.ts",
  ],
  ["settings.ts", "config.ts", "setting_meanings.ts", "help.ts", "auth.ts"],
  ["broker/"],
  ["core/"],
  ["webhooks/", "api/"],
  ["app.ts"],
  ["server.ts"],
  ["runtime/"],
  ["client/"],
];

/**
 * Inside the folders with several concepts, the modules lowest first: each
 * imports only modules before it. In the core: leaves, then one session,
 * then what works on sessions, then the parts that use those, up to the
 * registry and the wiring.
 */
const FOLDER_ORDERS: Record<string, string[]> = {
  "protocol/": [
    "scripts.ts",
    "names.ts",
    "codes.ts",
    "handshake.ts",
    "server_frames.ts",
    "frames.ts",
    "api.ts",
    "commands.ts",
    "decode.ts",
    "encode_a.ts",
    "codec_a.ts",
    "codec_b.ts",
  ],
  "broker/": [
    "errors.ts",
    "event_queue.ts",
    "reads.ts",
    "registry.ts",
    "directory.ts",
    "broker.ts",
    "merge.ts",
    "message_state.ts",
    "memory_event_queue.ts",
    "memory_presence.ts",
    "memory_history.ts",
    "memory_reads.ts",
    "memory_messages.ts",
    "memory_channels.ts",
    "memory.ts",
    "redis_scripts.ts",
    "redis_message_scripts.ts",
    "redis_change_scripts.ts",
    "redis_channel_scripts.ts",
    "redis_presence_scripts.ts",
    "redis_payloads.ts",
    "redis_queue_scripts.ts",
    "redis_commands.ts",
    "redis_event_queue.ts",
    "redis_changes.ts",
    "redis_subscriber.ts",
    "redis_presence.ts",
    "redis.ts",
    "instrumented.ts",
  ],
  "metrics/": ["histogram.ts", "metrics.ts", "exposition.ts", "endpoint.ts"],
  "webhooks/": ["events.ts", "signature.ts", "noticing.ts", "dispatcher.ts", "webhooks.ts"],
  "core/": [
    "connection.ts",
    "limits.ts",
    "roster.ts",
    "admission.ts",
    "session.ts",
    "intake.ts",
    "events.ts",
    "grants.ts",
    "reading.ts",
    "presence.ts",
    "lists.ts",
    "replay.ts",
    "channels.ts",
    "delivery.ts",
    "memberships.ts",
    "moderation.ts",
    "claims.ts",
    "publishing.ts",
    "changes.ts",
    "handlers.ts",
    "opening.ts",
    "sessions.ts",
    "chat.ts",
  ],
  "api/": ["http.ts", "publish.ts", "routes.ts", "api.ts"],
  "client/": [
    "types.ts",
    "handshake.ts",
    "jwt.ts",
    "resume.ts",
    "outbox.ts",
    "members.ts",
    "messages.ts",
    "reads.ts",
    "connection.ts",
    "client.ts",
    "mod.ts",
  ],
};

async function* modules(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* modules(url);
    if (entry.isFile && entry.name.endsWith(".ts")) yield url;
  }
}

function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

/** A module's path relative to `src/`. */
function pathOf(url: URL): string {
  return url.pathname.slice(SRC.pathname.length);
}

/** The `src/` modules `source` (at `url`) imports, as paths relative to `src/`. */
function localImports(url: URL, source: string): string[] {
  const specifiers = [...source.matchAll(/(?:from|import)\s*["'](\.{1,2}\/[^"']+)["']/g)];
  return specifiers.map(([, specifier]) => pathOf(new URL(specifier, url)));
}

function layerOf(path: string): number {
  const layer = LAYERS.findIndex((members) =>
    members.some((member) => member.endsWith("/") ? path.startsWith(member) : member === path)
  );
  assert(layer >= 0, `src/${path} belongs to no layer of tests/architecture_test.ts`);
  return layer;
}

const sources = new Map<string, { url: URL; source: string }>();
for await (const url of modules(SRC)) {
  sources.set(pathOf(url), { url, source: await Deno.readTextFile(url) });
}

Deno.test("architecture: only src/runtime/ touches Deno.* or node:*", () => {
  const offenders = [...sources].filter(([path, { source }]) => {
    const code = withoutComments(source);
    // The global in use (`Deno.env`, `Deno?.`, `Deno["…"]`), not the word in a text such as
    // a setting's meaning ("`deno` on Deno").
    return !path.startsWith("runtime/") &&
      (/\bDeno\s*(\?\.|[.[])/.test(code) || /["']node:/.test(code));
  }).map(([path]) => path);
  assertEquals(offenders, []);
});

Deno.test(`architecture: no module under src/ is over ${MAX_MODULE_LINES} lines`, () => {
  const large = [...sources].map(([path, { source }]) => [path, source.split("\n").length - 1])
    .filter(([, lines]) => (lines as number) > MAX_MODULE_LINES);
  assertEquals(large, []);
});

Deno.test("architecture: imports point down the layers of src/", () => {
  const upwards: string[] = [];
  for (const [path, { url, source }] of sources) {
    for (const imported of localImports(url, source)) {
      if (layerOf(imported) > layerOf(path)) upwards.push(`${path} imports ${imported}`);
    }
  }
  assertEquals(upwards, []);
});

for (const [folder, order] of Object.entries(FOLDER_ORDERS)) {
  Deno.test(`architecture: inside src/${folder}, imports point one way, down the order`, () => {
    const inFolder = [...sources.keys()].filter((path) => path.startsWith(folder));
    assertEquals(
      inFolder.map((path) => path.slice(folder.length)).toSorted(),
      order.toSorted(),
      `every module of src/${folder} has its place in FOLDER_ORDERS`,
    );
    const backwards: string[] = [];
    for (const path of inFolder) {
      const { url, source } = sources.get(path)!;
      const rank = order.indexOf(path.slice(folder.length));
      for (const imported of localImports(url, source)) {
        if (!imported.startsWith(folder)) continue;
        if (order.indexOf(imported.slice(folder.length)) >= rank) {
          backwards.push(`${path} imports ${imported}`);
        }
      }
    }
    assertEquals(backwards, []);
  });
}
