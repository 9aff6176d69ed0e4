/**
 * `deno task bench`: Natter on Deno, Natter's Node build, the zero-logic
 * Deno and Node servers in `bench/` and Socket.IO 4, side by side in one
 * interleaved run, every scenario once per server per round on fresh
 * servers. This process is the load generator, pinned to core 0; the
 * servers run on core 1. Writes docs/benchmarks.md and the charts in docs/.
 *
 * Usage (the task builds dist/node/ and installs bench/node/ first):
 *
 *     deno task bench [--quick] [--rounds=N] [--only=fanout,idle,…] [--servers=raw-deno,…]
 *                     [--baseline=REF]
 *
 * `--baseline=REF` adds Natter on Deno as it was at the git commit REF, run
 * beside this tree's (see `baseline.ts`).
 *
 * @module
 */
import { GENERATOR_CORE, pin, raiseFileLimit, SERVERS } from "./servers.ts";
import { type Results, writeReport } from "./report.ts";
import { FAN_OUT } from "./scenarios/fanout.ts";
import { CHAT } from "./scenarios/chat.ts";
import { IDLE, STORM } from "./scenarios/idle.ts";
import { CHURN } from "./scenarios/churn.ts";
import { TWO_INSTANCES } from "./scenarios/redis.ts";
import { SESSION } from "./scenarios/session.ts";
import { sleep } from "./load.ts";
import { coreBusy } from "./measure.ts";
import { baselineServer } from "./baseline.ts";

const SCENARIOS = [FAN_OUT, IDLE, STORM, TWO_INSTANCES, CHURN, CHAT, SESSION];

/** `--name=value` options; `--quick` alone. */
function option(name: string): string | undefined {
  const prefix = `--${name}=`;
  return Deno.args.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

const known = /^--(quick|rounds=\d+|only=[\w,-]+|servers=[\w,-]+|baseline=[\w./~^-]+)$/;
const unknown = Deno.args.filter((arg) => !known.test(arg));
if (unknown.length) {
  console.error(
    `Unknown arguments: ${unknown.join(" ")}\nUsage: deno task bench ` +
      `[--quick] [--rounds=N] [--only=${SCENARIOS.map((s) => s.id)}] [--servers=${
        SERVERS.map((s) => s.id)
      }] [--baseline=REF]`,
  );
  Deno.exit(2);
}
const quick = Deno.args.includes("--quick");
const rounds = Number(option("rounds") ?? (quick ? 1 : 3));
const only = option("only")?.split(",");
const serverIds = option("servers")?.split(",");
const scenarios = SCENARIOS.filter((scenario) => !only || only.includes(scenario.id));
const servers = SERVERS.filter((server) => !serverIds || serverIds.includes(server.id));
const baselineRef = option("baseline");
await using baseline = baselineRef === undefined ? undefined : await baselineServer(baselineRef);
if (baseline) servers.push(baseline);

/** How busy each core is while the bench runs nothing, with the load averages. */
async function otherWork(): Promise<string> {
  const busy = (await coreBusy(2_000)).map((percent, core) =>
    `core ${core} ${percent.toFixed(0)}%`
  );
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(", ");
  return `${busy.join(", ")} busy (load average ${load})`;
}

await pin(Deno.pid, GENERATOR_CORE);
// The idle scenario holds 10,000 client sockets here, and as many in the server.
await raiseFileLimit(12_000);
const before = await otherWork();
const results: Results = new Map(scenarios.map((scenario) => [scenario.id, new Map()]));
const failures: string[] = [];
const started = performance.now();
for (let round = 0; round < rounds; round++) {
  for (const scenario of scenarios) {
    // Rotate the order each round, so no server always runs right after the same one.
    const order = servers.map((_, i) => servers[(i + round) % servers.length]);
    for (const server of order) {
      const runStarted = performance.now();
      try {
        const figures = await scenario.run(server, { quick });
        const runs = results.get(scenario.id)!;
        runs.set(server.id, [...runs.get(server.id) ?? [], figures]);
        const shown = Object.entries(figures).filter(([key]) => !key.includes(":"))
          .map(([key, value]) => `${key}=${+value.toFixed(2)}`).join(" ");
        console.error(
          `round ${round + 1}/${rounds} ${scenario.id} ${server.id}: ${shown} ` +
            `(${((performance.now() - runStarted) / 1000).toFixed(1)} s)`,
        );
      } catch (error) {
        const failure = `round ${round + 1}, ${scenario.id}, ${server.label}: ${
          error instanceof Error ? error.message.split("\n")[0] : error
        }`;
        failures.push(failure);
        console.error(`FAILED ${failure}`);
      }
      // Let the sockets of the last run close (TIME_WAIT aside) before the next server starts.
      await sleep(100);
    }
  }
}
const markdown = await writeReport(scenarios, servers, results, {
  command: `deno task bench${Deno.args.length ? ` ${Deno.args.join(" ")}` : ""}`,
  rounds,
  options: { quick },
  minutes: (performance.now() - started) / 60_000,
  otherWork: { before, after: await otherWork() },
  failures,
});
console.log(markdown);
