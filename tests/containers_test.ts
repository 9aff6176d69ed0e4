/**
 * The Dockerfile, compose.yaml and deploy/nginx.conf, checked without a
 * Docker engine (none runs in CI): every file they copy or mount exists,
 * every task they run is in deno.json, every variable they set is a setting,
 * the ports agree, and the health check, run as the image runs it, passes
 * against a live server and fails against none.
 */
import { describeSettings } from "../src/help.ts";
import { startMain } from "./support/process.ts";
import { assert, assertEquals, assertMatch, assertNotEquals } from "./support/assert.ts";

const ROOT = new URL("../", import.meta.url);
const read = (path: string) => Deno.readTextFile(new URL(path, ROOT));
const dockerfile = await read("Dockerfile");
const compose = await read("compose.yaml");
const nginx = await read("deploy/nginx.conf");
const tasks: Record<string, string> = JSON.parse(await read("deno.json")).tasks;
const settings = new Set(describeSettings().map(({ variable }) => variable));

/** The Dockerfile's instructions, continuation lines joined: [keyword, arguments]. */
const instructions = dockerfile.replace(/\\\n\s*/g, " ").split("\n")
  .filter((line) => /^[A-Z]+\s/.test(line))
  .map((line) => [line.split(/\s/, 1)[0], line.slice(line.indexOf(" ") + 1).trim()] as const);
const argumentsOf = (keyword: string) =>
  instructions.filter(([name]) => name === keyword).map(([, args]) => args);

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(new URL(path, ROOT));
    return true;
  } catch {
    return false;
  }
}

/** The image's port: its `ENV PORT=…`. */
function imagePort(): string {
  const port = argumentsOf("ENV").join(" ").match(/\bPORT=(\d+)/)?.[1];
  assert(port, "the Dockerfile sets no PORT");
  return port;
}

Deno.test("Dockerfile: every copied file exists and every task it runs is in deno.json", async () => {
  for (const copy of argumentsOf("COPY")) {
    const sources = copy.split(/\s+/).filter((word) => !word.startsWith("--")).slice(0, -1);
    for (const source of sources) assert(await exists(source), `COPY ${source}: no such file`);
  }
  const runs = [...argumentsOf("RUN"), ...argumentsOf("CMD")].join(" ");
  const used = [...runs.matchAll(/deno"?,?\s*"?task"?,?\s*"?([\w:]+)/g)].map((match) => match[1]);
  assert(used.includes("start") && used.includes("build:web"), `tasks run: ${used}`);
  for (const task of used) {
    assert(task in tasks, `the Dockerfile runs deno task ${task}: not in deno.json`);
  }
  for (const entry of runs.match(/--entrypoint ([^&]+)/)![1].trim().split(/\s+/)) {
    assert(await exists(entry), `deno install --entrypoint ${entry}: no such file`);
  }
  // What `deno task start` reads at runtime is what the image copies or builds.
  assertMatch(tasks.start, /main\.ts$/);
});

Deno.test("Dockerfile: its variables are settings, its port is exposed, SIGTERM reaches the server", () => {
  for (const [, name] of argumentsOf("ENV").join(" ").matchAll(/\b([A-Z_]+)=/g)) {
    assert(settings.has(name), `the Dockerfile sets ${name}, which no setting reads`);
  }
  assertEquals(argumentsOf("EXPOSE"), [imagePort()]);
  // Exec form: no shell between the container's PID 1 and deno, so SIGTERM reaches it.
  assertEquals(JSON.parse(argumentsOf("CMD")[0]), ["deno", "task", "start"]);
  assertEquals(argumentsOf("HEALTHCHECK").length, 1);
});

/** The health check's script, as `deno eval` runs it in the container. */
function healthCheckScript(): string {
  const check = argumentsOf("HEALTHCHECK")[0];
  const command = JSON.parse(check.slice(check.indexOf("CMD ") + 4));
  assertEquals(command.slice(0, 2), ["deno", "eval"]);
  return command[2];
}

async function runHealthCheck(port: number): Promise<number> {
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", healthCheckScript()],
    env: { PORT: String(port) },
    stdout: "null",
    stderr: "null",
  }).output();
  return code;
}

Deno.test("Dockerfile: the health check asks /healthz on PORT: passes while serving, fails after", async () => {
  assertMatch(healthCheckScript(), /\/healthz`/);
  let port: number;
  {
    await using natter = await startMain({ PORT: "0" });
    port = natter.port;
    assertEquals(await runHealthCheck(port), 0);
  }
  assertNotEquals(await runHealthCheck(port), 0);
});

/** The `KEY: value` lines of the compose service `name`, to the next service. */
function service(name: string): string {
  const start = compose.indexOf(`\n  ${name}:\n`);
  assert(start >= 0, `compose.yaml has no service ${name}`);
  const rest = compose.slice(start + name.length + 5);
  return rest.slice(0, rest.search(/\n {2}\S|\n\S|$/));
}

Deno.test("compose.yaml: two Natter instances on one Redis with AOF, behind nginx", async () => {
  assertMatch(service("redis"), /command: \["redis-server", "--appendonly", "yes"\]/);
  for (const name of ["natter-1", "natter-2"]) {
    const natter = service(name);
    assertMatch(natter, /build: \.\n/);
    const environment = natter.split("environment:\n")[1].split(/\n {4}\S/)[0];
    for (const [, variable] of environment.matchAll(/^ {6}([A-Z_]+):/gm)) {
      assert(settings.has(variable), `${name} sets ${variable}, which no setting reads`);
    }
    assertMatch(environment, /REDIS_URL: redis:\/\/redis:6379\n/);
    assertMatch(environment, /TRUST_PROXY: "true"/);
    assertMatch(nginx, new RegExp(`server ${name}:${imagePort()};`));
  }
  const balancer = service("load-balancer");
  const mount = balancer.match(/- \.\/(\S+):\/etc\/nginx\/conf\.d\/default\.conf:ro/);
  assert(mount && await exists(mount[1]), "the load balancer mounts deploy/nginx.conf");
  assertMatch(balancer, /- "8080:80"/);
});

Deno.test("deploy/nginx.conf: passes WebSocket upgrades and the client address Natter trusts", () => {
  assertMatch(nginx, /listen 80;/);
  assertMatch(nginx, /proxy_http_version 1\.1;/);
  assertMatch(nginx, /proxy_set_header Upgrade \$http_upgrade;/);
  assertMatch(nginx, /proxy_set_header Connection \$connection_upgrade;/);
  // TRUST_PROXY takes the last X-Forwarded-For entry: nginx must set it, not pass the client's on.
  assertMatch(nginx, /proxy_set_header X-Forwarded-For \$remote_addr;/);
  const readTimeout = Number(nginx.match(/proxy_read_timeout (\d+)s;/)![1]);
  const idle = describeSettings().find(({ variable }) => variable === "IDLE_TIMEOUT_MS")!;
  assert(readTimeout * 1000 > Number(idle.fallback), "nginx must outwait IDLE_TIMEOUT_MS");
});
