/**
 * `deno task bench --baseline=REF`: Natter on Deno as it was at the git
 * commit REF, run beside this tree's in the same interleaved run. A change's
 * cost then shows as two rows measured side by side, on one machine at one
 * time, which is the only comparison a shared machine allows: metrics on
 * and off is `--baseline=` the commit before them.
 *
 * @module
 */
import type { ServerKind } from "./servers.ts";
import { NATTER } from "./wire.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** Runs `git` (or `deno`) in `cwd`, failing with its output. */
async function run(program: string, args: string[], cwd: string): Promise<void> {
  const { code, stderr } = await new Deno.Command(program, { args, cwd, stdout: "null" }).output();
  if (code !== 0) {
    throw new Error(`${program} ${args.join(" ")} failed:\n${new TextDecoder().decode(stderr)}`);
  }
}

/** A checkout of `ref` with its web app built, as a server kind; disposing removes the checkout. */
export async function baselineServer(ref: string): Promise<ServerKind & AsyncDisposable> {
  const checkout = await Deno.makeTempDir({ prefix: "natter-baseline-" });
  await run("git", ["worktree", "add", "--detach", checkout, ref], ROOT);
  try {
    await run(Deno.execPath(), ["task", "build:web"], checkout);
  } catch (error) {
    await run("git", ["worktree", "remove", "--force", checkout], ROOT);
    throw error;
  }
  return {
    id: "natter-deno-baseline",
    label: `Natter on Deno at ${ref}`,
    dialect: NATTER,
    natter: true,
    command: () =>
      Promise.resolve([Deno.execPath(), [
        "run",
        "--allow-net",
        "--allow-env",
        `--allow-read=${checkout}/dist/web`,
        "--config",
        `${checkout}/deno.json`,
        `${checkout}/main.ts`,
      ]]),
    async [Symbol.asyncDispose]() {
      await run("git", ["worktree", "remove", "--force", checkout], ROOT);
    },
  };
}
