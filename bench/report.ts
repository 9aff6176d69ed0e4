/**
 * The bench's report: `docs/benchmarks.md` (machine, versions, command,
 * method and a table per scenario of medians with their min–max, then the
 * targets) and its SVG charts under `docs/` (deliveries/s against p99 per
 * server, memory per connection per server).
 *
 * @module
 */
import { summarize } from "./measure.ts";
import { checkTargets } from "./targets.ts";
import type { ServerKind } from "./servers.ts";
import type { Figures, Options, Scenario } from "./scenarios/scenario.ts";
import { barChart, lineChart, type Series } from "./svg.ts";

/** Every run's figures: by scenario id, then by server id, one entry per round that succeeded. */
export type Results = Map<string, Map<ServerKind["id"], Figures[]>>;

/** What the report says about the run itself. */
export interface RunInfo {
  command: string;
  rounds: number;
  options: Options;
  minutes: number;
  /** How busy the cores were, over 2 s with no bench process running, before and after the run. */
  otherWork: { before: string; after: string };
  failures: string[];
}

const ROOT = new URL("../", import.meta.url);
export const CHARTS = {
  fanout: "docs/bench-fanout.svg",
  redis: "docs/bench-redis.svg",
  memory: "docs/bench-memory.svg",
};

async function firstLine(program: string, args: string[], cwd?: URL): Promise<string> {
  try {
    const { stdout } = await new Deno.Command(program, { args, cwd, stderr: "null" }).output();
    return new TextDecoder().decode(stdout).split("\n")[0].trim();
  } catch {
    return "unknown";
  }
}

async function machine(): Promise<string[]> {
  const model = (await firstLine("bash", ["-c", "lscpu | grep 'Model name'"]))
    .replace(/^Model name:\s*/, "");
  const socketIo = JSON.parse(
    await Deno.readTextFile(new URL("bench/node/node_modules/socket.io/package.json", ROOT)),
  ).version;
  return [
    `- CPU: ${model}, \`nproc --all\` ${await firstLine("nproc", ["--all"])}`,
    `- kernel: ${await firstLine("uname", ["-sr"])}`,
    `- ${await firstLine(Deno.execPath(), ["--version"])}, node ${await firstLine("node", [
      "--version",
    ])}, socket.io ${socketIo}`,
  ];
}

/** `median (min–max)` of a figure over the rounds. */
function cell(values: number[], digits: number): string {
  const { median, min, max, runs } = summarize(values);
  if (runs === 0) return "—";
  const f = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: digits });
  return runs === 1 || min === max ? f(median) : `${f(median)} (${f(min)}–${f(max)})`;
}

function table(
  scenario: Scenario,
  runs: Map<ServerKind["id"], Figures[]>,
  servers: readonly ServerKind[],
) {
  const head = `| server | ${scenario.columns.map((column) => column.label).join(" | ")} |`;
  const rule = `| --- | ${scenario.columns.map(() => "---").join(" | ")} |`;
  const rows = servers.filter((server) => runs.has(server.id)).map((server) => {
    const figures = runs.get(server.id)!;
    const cells = scenario.columns.map((column) =>
      cell(figures.map((f) => f[column.key] ?? NaN), column.digits)
    );
    return `| ${server.label} | ${cells.join(" | ")} |`;
  });
  return [head, rule, ...rows].join("\n");
}

/** Median over rounds of each `p99:RATE` figure, as chart points. */
function curve(runs: Figures[]): [number, number][] {
  const rates = new Set(runs.flatMap((f) => Object.keys(f)).filter((k) => k.startsWith("p99:")));
  return [...rates].map((key) => {
    const { median } = summarize(runs.map((f) => f[key] ?? NaN));
    return [Number(key.slice(4)), median] as [number, number];
  }).filter(([, p99]) => Number.isFinite(p99));
}

function curveChart(
  title: string,
  runs: Map<ServerKind["id"], Figures[]> | undefined,
  servers: readonly ServerKind[],
) {
  const series: Series[] = servers.filter((server) => runs?.has(server.id)).map((server) => ({
    name: server.label,
    points: curve(runs!.get(server.id)!),
  }));
  return lineChart({
    title,
    xLabel: "deliveries/s offered",
    yLabel: "p99 latency (ms, log)",
    series,
  });
}

/** Writes docs/benchmarks.md and the charts; returns the markdown. */
export async function writeReport(
  scenarios: readonly Scenario[],
  servers: readonly ServerKind[],
  results: Results,
  info: RunInfo,
): Promise<string> {
  const median = (scenario: string, server: ServerKind["id"], key: string) =>
    summarize((results.get(scenario)?.get(server) ?? []).map((f) => f[key] ?? NaN)).median;
  const verdicts = checkTargets(median);
  const idle = results.get("idle");
  const memoryBars = servers.filter((server) => idle?.has(server.id)).map((server) => ({
    name: server.label,
    ...summarize(idle!.get(server.id)!.map((f) => f.kibPerConnection)),
  })).map(({ name, median, min, max }) => ({ name, value: median, min, max }))
    .filter((bar) => Number.isFinite(bar.value));
  const charts: [string, string][] = [
    [
      CHARTS.fanout,
      curveChart("Fan-out, 1 room: p99 against rate", results.get("fanout"), servers),
    ],
    [
      CHARTS.redis,
      curveChart("Two instances over Redis: p99 against rate", results.get("redis"), servers),
    ],
    [
      CHARTS.memory,
      barChart({
        title: "Idle: server memory per connection (median, min–max)",
        unit: "KiB",
        bars: memoryBars,
      }),
    ],
  ];
  for (const [path, svg] of charts) await Deno.writeTextFile(new URL(path, ROOT), svg);
  const markdown = [
    "# Benchmarks",
    "",
    `Made by \`deno task bench\` (bench/main.ts): every figure below comes from one interleaved run ` +
    `on this machine. ${
      info.options.quick
        ? "**Quick mode**: small sizes, short steps; the " +
          "targets are checked anyway but were set for the full sizes. "
        : ""
    }Values are medians of ` +
    `${info.rounds} round(s), with the min–max over the rounds in parentheses; each round ran ` +
    `every scenario on fresh servers, rotating the order of the servers.`,
    "",
    ...await machine(),
    `- command: \`${info.command}\` (${info.minutes.toFixed(1)} minutes)`,
    `- other work on the machine, measured over 2 s while the bench ran nothing: before the run ` +
    `${info.otherWork.before}; after it ${info.otherWork.after}. The bench cannot keep other ` +
    "processes off its cores: compare servers within this run only.",
    "- pinning: the load generator (this Deno process, WebSocket clients) on core 0, every server " +
    "(and redis-server) on core 1, with `taskset`",
    "- latency: from each message's scheduled send time on an open-loop schedule (no coordinated " +
    "omission) to its arrival at each receiving client",
    "",
    "![Fan-out: p99 against deliveries/s](bench-fanout.svg)",
    "![Two instances over Redis: p99 against deliveries/s](bench-redis.svg)",
    "![Idle: memory per connection](bench-memory.svg)",
    "",
    "## Targets (issue 13)",
    "",
    ...verdicts.map((v) => `- ${v.text} ${v.met ? "met" : "**MISSED**"}`),
    "",
    ...scenarios.flatMap((scenario) => [
      `## ${scenario.title}`,
      "",
      scenario.method(info.options),
      "",
      table(scenario, results.get(scenario.id) ?? new Map(), servers),
      "",
    ]),
    "## Limits of this bench",
    "",
    "- The load generator is one Deno process using the runtime's WebSocket client, which costs " +
    "about 10 µs of CPU per received frame, mostly the read of each socket (a Node `ws` client " +
    "measured the same, 9 µs, on this machine). One core therefore receives on the order of " +
    "100,000 frames/s: where its CPU (in the tables) nears 100%, a maximum sustained rate is the " +
    "generator's bound as much as the server's, the same bound for every server, and ratios of " +
    "such maxima understate the differences.",
    "- Presence bytes are the length of each non-message frame as received (a JavaScript string; " +
    "the frames are ASCII, so characters are bytes).",
    "- CPU per delivery is the server's CPU time over a whole step (all threads, the kernel's " +
    "share of its sends included) divided by that step's deliveries.",
    "- Other processes on the machine share both cores (see the machine line above): figures of " +
    "one run compare servers fairly; figures of different runs do not.",
    "",
    ...(info.failures.length
      ? ["## Runs that failed", "", ...info.failures.map((failure) => `- ${failure}`), ""]
      : []),
  ].join("\n");
  const path = new URL("docs/benchmarks.md", ROOT);
  await Deno.writeTextFile(path, markdown);
  // Formatted like every other file of the repository, so `deno fmt --check` stays clean.
  const written = [path.pathname, ...charts.map(([chart]) => new URL(chart, ROOT).pathname)];
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", ...written], cwd: ROOT })
    .output();
  return await Deno.readTextFile(path);
}
