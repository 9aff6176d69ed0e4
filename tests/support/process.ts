/**
 * Runs Natter as a child process, the way a user starts it (`main.ts` on
 * Deno, `dist/node/server.js` on Node), and finds the port it bound from its
 * startup log line.
 *
 * @module
 */

/** A running Natter process. */
export interface NatterProcess extends AsyncDisposable {
  child: Deno.ChildProcess;
  port: number;
  ws: string;
  /** `http://127.0.0.1:PORT` */
  http: string;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Waits (up to 10 s) until the output matches `pattern`. */
  untilOutput(pattern: RegExp): Promise<void>;
  /** Waits for the process to exit. */
  status: Promise<Deno.CommandStatus>;
}

import { natterCommand, type Runtime } from "./runtimes.ts";
import { UNTHROTTLED } from "./server.ts";

/**
 * What a child keeps of the test runner's environment: enough to find its
 * programs and caches, and none of Natter's settings (a `REDIS_URL` exported
 * in the shell must not reach one runtime's servers and not the other's).
 */
function inherited(): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) kept[name] = value;
  }
  return kept;
}

/** Output and exit status of a process that is expected to stop by itself; `extraArgs` follow the entry point. */
export async function runMain(
  env: Record<string, string>,
  runtime: Runtime = "deno",
  extraArgs: string[] = [],
): Promise<{ code: number; output: string }> {
  const [program, args] = await natterCommand(runtime);
  const { code, stdout, stderr } = await new Deno.Command(program, {
    args: [...args, ...extraArgs],
    clearEnv: true,
    env: { ...inherited(), ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

/** Starts Natter on `runtime` with `env` and waits (up to 30 s) until it listens. */
export async function startMain(
  env: Record<string, string>,
  runtime: Runtime = "deno",
): Promise<NatterProcess> {
  return startNatter(await natterCommand(runtime), env, `Natter on ${runtime}`);
}

/**
 * Starts Natter with `program` and `args` (any way of running it, such as an
 * installed package's bin) and waits (up to 30 s) until it listens; `label`
 * names it in errors.
 */
export async function startNatter(
  [program, args]: [string, string[]],
  env: Record<string, string>,
  label: string,
): Promise<NatterProcess> {
  const child = new Deno.Command(program, {
    args,
    clearEnv: true,
    env: {
      ...inherited(),
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "info",
      // Tests read log lines as text; the JSON default is tested where it is the point.
      LOG_FORMAT: "pretty",
      NO_COLOR: "1",
      ...UNTHROTTLED,
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  let onOutput = () => {};
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      output += chunk;
      onOutput();
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  const status = child.status;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`${label} did not start:\n${output}`)),
      30_000,
    );
    function fail(error: Error) {
      clearTimeout(timer);
      reject(error);
    }
    onOutput = () => {
      // The startup line, as text or as a JSON line.
      const match = output.match(/listening url=http:\/\/[^:]+:(\d+)|"url":"http:\/\/[^:]+:(\d+)"/);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1] ?? match[2]));
      }
    };
    status.then((s) => fail(new Error(`${label} exited with ${s.code}:\n${output}`)));
  });
  const outputWaiters = new Set<() => void>();
  onOutput = () => {
    for (const wake of outputWaiters) wake();
  };
  const finished = status.then(async (s) => {
    await drained;
    return s;
  });
  return {
    child,
    port,
    ws: `ws://127.0.0.1:${port}/ws`,
    http: `http://127.0.0.1:${port}`,
    output: () => output,
    untilOutput(pattern) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          outputWaiters.delete(check);
          reject(new Error(`Output never matched ${pattern}:\n${output}`));
        }, 10_000);
        function check() {
          if (!pattern.test(output)) return;
          clearTimeout(timer);
          outputWaiters.delete(check);
          resolve();
        }
        outputWaiters.add(check);
        check();
      });
    },
    status: finished,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await finished;
    },
  };
}

/** The resident memory of process `pid`, in MiB (from `ps`). */
export async function rssMiB(pid: number): Promise<number> {
  const { stdout } = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", `${pid}`] })
    .output();
  return Number(new TextDecoder().decode(stdout).trim()) / 1024;
}
