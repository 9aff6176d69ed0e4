/**
 * The composition root and the HTTP surface, independent of any runtime:
 * configuration → broker (which, with `WEBHOOK_URL`, queues webhook events
 * and has them sent) → chat core, plus the routing of each request
 * (`/` and the web app's files, `/healthz`, `/readyz`, `/metrics`, the
 * server API under `/api/`, and the WebSocket paths of `WS_PATHS`). A runtime
 * edge asks `route` what to do with a request and, for a WebSocket path, upgrades
 * it and hands the socket to `app.chat`.
 *
 * @module
 */
import { createJwtAuthenticator } from "./auth.ts";
import type { Broker } from "./broker/broker.ts";
import { instrumentBroker } from "./broker/instrumented.ts";
import { createMemoryBroker } from "./broker/memory.ts";
import { createRedisBroker } from "./broker/redis.ts";
import type { Config } from "./config.ts";
import {
  type Admission,
  clientAddress,
  createAdmission,
  isRefused,
  type Ticket,
} from "./core/admission.ts";
import { type Chat, createChat } from "./core/chat.ts";
import { type Api, apiOff, createApi } from "./api/api.ts";
import { createBoundedLog } from "./core/limits.ts";
import { createLogger, type Logger } from "./log.ts";
import type { Tracing } from "./tracing.ts";
import { metricsResponse } from "./metrics/endpoint.ts";
import { exposition, type MemoryUsage } from "./metrics/exposition.ts";
import { Metrics } from "./metrics/metrics.ts";
import { bearerToken, type Handshake, parseHandshake } from "./protocol/handshake.ts";
import { VERSION } from "./version.ts";
import { WEB_SECURITY_HEADERS, type WebApp } from "./web.ts";
import { createWebhooks, webhookConfig } from "./webhooks/webhooks.ts";

/** What the edge should do with one HTTP request. */
export type Route =
  /** Answer; a response still being worked out (the server API's) comes as a promise. */
  | { type: "respond"; response: Response | Promise<Response> }
  /** Upgrade; the edge releases `ticket` when the socket closes or the upgrade fails. */
  | { type: "upgrade"; handshake: Handshake; ticket: Ticket };

/** One Natter instance, ready to be served by a runtime edge. */
export interface App {
  readonly chat: Chat;
  readonly log: Logger;
  /** Where refused requests, frames and connections are logged (at debug), bounded in rate. */
  readonly refusalLog: Logger;
  readonly config: Config;
  /** Decides how to answer `request` from the peer address `peer`. */
  route(request: Request, peer: string): Route;
  /**
   * Stops taking connections (`/readyz` and upgrades answer 503 from now on),
   * lets the commands in flight finish (for at most `drainMs`), closes every
   * session with 1012, then closes the broker.
   */
  shutdown(drainMs?: number): Promise<void>;
}

/** Parts a caller may supply instead of the ones built from configuration. */
export interface AppParts {
  broker?: Broker;
  log?: Logger;
  /** The chat web app's files, served at `/` to browsers; without them `/` says how to build it. */
  web?: WebApp;
  /** Reads the process's memory (a runtime's own call); without it `/metrics` leaves memory out. */
  memoryUsage?: () => MemoryUsage;
  /** Spans around publishing and delivering (see `tracing.ts`); without it, none. */
  tracing?: Tracing;
  /** The runtime serving the app, as the server API's `/api/info` reports it. */
  runtime?: string;
}

/** Builds and starts an instance: the broker, the chat core, the lobby. */
export async function createApp(config: Config, parts: AppParts = {}): Promise<App> {
  const log = parts.log ?? createLogger(config.logLevel);
  const metrics = new Metrics();
  const instrumented = instrumentBroker(
    parts.broker ?? createBroker(config, log, metrics),
    metrics,
  );
  const hooks = webhookConfig(config);
  // Events come from what the core asks of the broker: it needs to know nothing of them.
  const webhooks = hooks && createWebhooks(instrumented, hooks, log, metrics);
  const broker = webhooks?.broker ?? instrumented;
  const refusalLog = createBoundedLog(log);
  const chat = createChat({
    ...config,
    broker,
    log,
    refusalLog,
    metrics,
    ...(parts.tracing ? { tracing: parts.tracing } : {}),
    ...(config.jwt
      ? {
        authenticator: createJwtAuthenticator({
          ...config.jwt,
          nameScriptRestriction: config.nameScriptRestriction,
        }),
      }
      : {}),
  });
  await chat.start();
  webhooks?.start();
  if (config.sharedUsernames) {
    log.warn("config.shared_usernames", {
      message: "SHARED_USERNAMES is on: any client can join a live user by its name alone " +
        "and speak as that user; use it only on a trusted network",
    });
  }
  const admission = createAdmission(config);
  const api = config.apiKey === undefined ? undefined : createApi({
    ...config,
    apiKey: config.apiKey,
    broker,
    moderation: chat.moderation,
    log,
    metrics,
    about: () => ({
      version: VERSION,
      ...(parts.runtime === undefined ? {} : { runtime: parts.runtime }),
      sessions: chat.sessionCount(),
    }),
  });
  let draining = false;
  /** The text of `/metrics`; a broker that cannot answer leaves its gauges out. */
  async function scrape(): Promise<string> {
    const [onlineUsers, channels, webhookQueueSize] = await Promise.all([
      broker.users.onlineCount(),
      broker.channels.count(),
      webhooks?.queueSize(),
    ]).catch(() => []);
    return exposition(metrics, {
      ...chat.census(),
      onlineUsers,
      channels,
      webhookQueueSize,
      memory: parts.memoryUsage?.(),
    });
  }
  return {
    chat,
    log,
    refusalLog,
    config,
    route: logRefusals(
      routeRequests(config, broker, admission, { web: parts.web, api }, scrape, () => draining),
      refusalLog,
    ),
    async shutdown(drainMs) {
      // Load balancers see /readyz fail at once and send no one new here.
      draining = true;
      // A webhook request in flight must not hold the shutdown: its event goes to another instance.
      const sendingStopped = webhooks?.stopSending();
      await chat.shutdown(drainMs);
      // The offline events of the sessions just closed are queued before the broker goes.
      await Promise.all([sendingStopped, webhooks?.queued()]);
      await broker.close();
    },
  };
}

/** What a request gets from an instance that is shutting down. */
const SHUTTING_DOWN = "not ready: shutting down; connect to another instance\n";

/** The broker configuration asks for: Redis when `REDIS_URL` is set, else the embedded one. */
export function createBroker(config: Config, log: Logger, metrics?: Metrics): Broker {
  const retention = {
    historyLimit: config.historyLimit,
    historyTtlMs: config.historyTtlSeconds * 1000,
    dedupWindowMs: config.dedupWindowMs,
    reconnectGraceMs: config.reconnectGraceMs,
  };
  if (config.redisUrl === undefined) return createMemoryBroker(retention);
  return createRedisBroker({
    url: config.redisUrl,
    prefix: config.redisPrefix,
    presenceTtlMs: config.presenceTtlMs,
    ...retention,
    log,
    metrics,
  });
}

/**
 * The index document, `/` for anything but a browser: what a client needs to
 * connect, and what the web app reads to know how to sign in.
 */
function indexDocument(wsPaths: readonly string[], authMode: Config["authMode"]): string {
  const [path] = wsPaths;
  return JSON.stringify({
    server: "natter",
    version: VERSION,
    websocket: path,
    websocketPaths: wsPaths,
    auth: authMode,
    connect: {
      kindA: `${path}?username=NAME (or ${path}?username= for a guest name)`,
      kindB: `${path}, then send {"sender":"NAME","text":""}`,
    },
    health: "/healthz",
    ready: "/readyz",
    metrics: "/metrics",
  });
}

function upgradeRequired(wsPaths: readonly string[]): string {
  const [path] = wsPaths;
  return "This endpoint speaks WebSocket only. Connect with a WebSocket client to " +
    `${path}?username=NAME (kind A) or ${path} (kind B).\n`;
}

/** `route`, logging each refused request (an answer of 400 or more) at debug. */
function logRefusals(route: App["route"], refusalLog: Logger): App["route"] {
  return (request, peer) => {
    const answer = route(request, peer);
    if (answer.type !== "respond") return answer;
    const logged = (response: Response) => {
      if (response.status < 400) return;
      refusalLog.debug("http.refused", {
        status: response.status,
        method: request.method,
        path: pathOf(request.url),
        upgrade: request.headers.get("upgrade") ?? undefined,
        peer,
      });
    };
    if (answer.response instanceof Response) logged(answer.response);
    else answer.response.then(logged, () => {});
    return answer;
  };
}

/** The path of `url`, shortened for a log line (clients choose it). */
function pathOf(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url; // Unparseable (a bad Host header): logged as sent, not lost.
  }
  return path.length > 100 ? `${path.slice(0, 100)}…` : path;
}

/** The router of one app: every request's answer, from the configuration fixed at start. */
function routeRequests(
  config: Pick<Config, "wsPaths" | "trustProxy" | "authMode" | "metricsToken">,
  broker: Broker,
  admission: Admission,
  { web, api }: { web?: WebApp; api?: Api },
  scrape: () => Promise<string>,
  /** Whether the instance is shutting down: it takes no new connection and is not ready. */
  draining: () => boolean,
): App["route"] {
  const wsPaths = new Set(config.wsPaths);
  const index = indexDocument(config.wsPaths, config.authMode);
  const upgradeOnly = upgradeRequired(config.wsPaths);
  return (request, peer) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return unreadableRequest();
    }
    const { pathname, searchParams } = url;
    if (pathname === "/api" || pathname.startsWith("/api/")) {
      return { type: "respond", response: api ? api(request, pathname) : apiOff() };
    }
    if (wsPaths.has(pathname)) {
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        return respond(upgradeOnly, 426, "text/plain", { upgrade: "websocket" });
      }
      // Without it no runtime upgrades the socket: refuse before a connection place is taken.
      if (!/(^|,)\s*upgrade\s*(,|$)/i.test(request.headers.get("connection") ?? "")) {
        return respond(
          "Bad WebSocket upgrade: the Connection header must contain Upgrade\n",
          400,
          "text/plain",
        );
      }
      if (draining()) return respond(SHUTTING_DOWN, 503, "text/plain", { "retry-after": "1" });
      const ip = clientAddress(peer, request.headers.get("x-forwarded-for"), config.trustProxy);
      const admitted = admission.admit(ip, request.headers.get("origin"));
      if (isRefused(admitted)) {
        return respond(`${admitted.reason}\n`, admitted.status, "text/plain");
      }
      const bearer = bearerToken(request.headers.get("authorization"));
      return { type: "upgrade", handshake: parseHandshake(searchParams, bearer), ticket: admitted };
    }
    switch (pathname) {
      case "/":
        // One URL, two answers: caches must keep them apart.
        if (!prefersHtml(request.headers.get("accept"))) {
          return respond(index, 200, "application/json", { vary: "Accept" });
        }
        return web ? webFile(web, pathname, request) : respond(
          "The web app is not built: run `deno task build:web`, and start the server with " +
            "read access to dist/web/ (`deno task start` does both).\n",
          503,
          "text/plain",
        );
      case "/healthz":
        return respond("ok\n", 200, "text/plain");
      case "/readyz":
        if (draining()) return respond(SHUTTING_DOWN, 503, "text/plain");
        return broker.isReady()
          ? respond("ready\n", 200, "text/plain")
          : respond("not ready: the broker is unreachable\n", 503, "text/plain");
      case "/metrics":
        return { type: "respond", response: metricsResponse(request, config.metricsToken, scrape) };
      default:
        if (web?.has(pathname)) return webFile(web, pathname, request);
        return respond(`Not found: ${pathname}\n`, 404, "text/plain");
    }
  };
}

/**
 * Whether a request's `Accept` asks for a page (a browser) rather than data
 * (curl, fetch): it lists `text/html`, and not with `q=0`.
 */
function prefersHtml(accept: string | null): boolean {
  return (accept ?? "").split(",").some((range) => {
    const [type, ...params] = range.split(";").map((part) => part.trim().toLowerCase());
    return type === "text/html" && !params.some((param) => /^q=0(\.0*)?$/.test(param));
  });
}

/**
 * One file of the web app. Browsers check again each time, so a new build
 * shows at once, and a browser that has this build's file gets a 304.
 */
function webFile(web: WebApp, path: string, request: Request): Route {
  const { body, contentType, etag } = web.get(path)!;
  const fresh = request.headers.get("if-none-match")?.split(",").some((tag) => tag.trim() === etag);
  return {
    type: "respond",
    response: new Response(fresh ? null : body.slice(), {
      status: fresh ? 304 : 200,
      headers: {
        ...(fresh ? {} : { "content-type": contentType }),
        etag,
        "cache-control": "no-cache",
        ...(path === "/" ? { vary: "Accept" } : {}),
        ...WEB_SECURITY_HEADERS,
      },
    }),
  };
}

/**
 * The answer to a request whose URL cannot be parsed (a malformed `Host`
 * header or request target): 400, never a server fault.
 */
export function unreadableRequest(): Route {
  return respond(
    "Bad request: the request URL cannot be parsed (check the Host header and the path)\n",
    400,
    "text/plain",
  );
}

function respond(
  body: string,
  status: number,
  contentType: string,
  headers: Record<string, string> = {},
): Route {
  return {
    type: "respond",
    response: new Response(body, {
      status,
      headers: { "content-type": `${contentType}; charset=utf-8`, ...headers },
    }),
  };
}
