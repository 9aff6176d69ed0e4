/**
 * `deno bundle` as the builds use it: one entry module and everything it
 * imports, as one ES module's text. Shared by the Node distribution's build
 * (`node/build.ts`) and the web app's (`web/build.ts`).
 *
 * @module
 */

/**
 * Runs `deno bundle` of `entry` for `platform`, leaving each of `externals`
 * (packages the consumer installs itself) an import; `minify` for a page.
 */
export async function bundled(
  entry: URL,
  platform: "deno" | "browser",
  externals: string[] = [],
  { minify = false } = {},
): Promise<string> {
  const scratch = await Deno.makeTempFile({ suffix: ".js" });
  try {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        `--platform=${platform}`,
        ...(minify ? ["--minify"] : []),
        ...externals.flatMap((name) => ["--external", name]),
        "-o",
        scratch,
        entry.pathname,
      ],
      stdout: "inherit",
      stderr: "piped",
    }).output();
    if (code !== 0) throw new Error(`deno bundle failed:\n${new TextDecoder().decode(stderr)}`);
    return await Deno.readTextFile(scratch);
  } finally {
    await Deno.remove(scratch);
  }
}
