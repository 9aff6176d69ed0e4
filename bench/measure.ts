/**
 * What the bench reads about processes (CPU time, resident and peak
 * memory, from /proc) and the statistics it reports: percentiles of
 * latencies, medians and spreads of runs.
 *
 * @module
 */

const CLK_TCK = await clockTicks();

async function clockTicks(): Promise<number> {
  const { stdout } = await new Deno.Command("getconf", { args: ["CLK_TCK"] }).output();
  return Number(new TextDecoder().decode(stdout).trim()) || 100;
}

/** CPU time (user + system, all threads) process `pid` has used so far, in µs. */
export async function cpuMicros(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // The command name (field 2) may contain spaces: count fields after its ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 1e6 / CLK_TCK;
}

/** A `/proc/PID/status` memory line (`VmRSS`, `VmHWM`), in KiB. */
async function statusKiB(pid: number, name: string): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"))?.[1] ?? NaN);
}

/** Resident memory of `pid` now, KiB. */
export function rssKiB(pid: number): Promise<number> {
  return statusKiB(pid, "VmRSS");
}

/** The highest resident memory `pid` has had, KiB. */
export function peakRssKiB(pid: number): Promise<number> {
  return statusKiB(pid, "VmHWM");
}

/** CPU use of a set of processes over an interval: start it, then `stop()` for the percentage of one core. */
export async function cpuMeter(pids: number[]): Promise<{ stop(): Promise<CpuUse> }> {
  const total = async () => (await Promise.all(pids.map(cpuMicros))).reduce((a, b) => a + b, 0);
  const before = await total();
  const started = performance.now();
  return {
    async stop() {
      const micros = await total() - before;
      const wallMicros = (performance.now() - started) * 1000;
      return { micros, percent: (micros / wallMicros) * 100 };
    },
  };
}

/** CPU time used over an interval and its share of one core. */
export interface CpuUse {
  micros: number;
  percent: number;
}

/** Busy and total jiffies of each core, from /proc/stat. */
async function coreTimes(): Promise<{ busy: number; total: number }[]> {
  const stat = await Deno.readTextFile("/proc/stat");
  return [...stat.matchAll(/^cpu\d+ (.+)$/gm)].map(([, fields]) => {
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.split(" ").map(Number);
    const busy = user + nice + system + irq + softirq + steal;
    return { busy, total: busy + idle + iowait };
  });
}

/** How busy each core is over `ms` (percent): before the bench starts anything, other work. */
export async function coreBusy(ms: number): Promise<number[]> {
  const before = await coreTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (await coreTimes()).map(({ busy, total }, core) =>
    100 * (busy - before[core].busy) / Math.max(1, total - before[core].total)
  );
}

/** Nearest-rank percentile `p` of `values` (sorted in place); NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  values.sort((a, b) => a - b);
  return values[Math.max(0, Math.ceil((p / 100) * values.length) - 1)];
}

/** Median and spread of runs. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** The median, min and max of the finite `values` (NaN figures when none is). */
export function summarize(values: number[]): Summary {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return { median: NaN, min: NaN, max: NaN, runs: 0 };
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length };
}
