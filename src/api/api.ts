/**
 * The server API (`/api/`), for the application's backend: with `API_KEY`
 * set, each request bearing it is matched to its route (`routes.ts`), its
 * path's names checked, and answered in JSON; without the key, 401 and
 * nothing more. Whatever a caller sends, the answer is JSON and the process
 * goes on: refusals get their documented status, a broker outage 503, and
 * anything else is logged and answered 500.
 *
 * @module
 */
import { type Broker, BrokerUnavailableError } from "../broker/broker.ts";
import type { Config } from "../config.ts";
import type { Moderation } from "../core/moderation.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics/metrics.ts";
import { apiSchemas } from "../protocol/api.ts";
import { ApiError, authorized, errorResponse, json, parse, readJson } from "./http.ts";
import { type ApiCall, type ApiRoute, apiRoutes, type RouteOptions } from "./routes.ts";

/** What the API needs from its instance. */
export interface ApiOptions extends
  Pick<
    Config,
    "maxMessageChars" | "maxDataBytes" | "nameScriptRestriction" | "lobbyChannel" | "authMode"
  > {
  /** The key callers bear. */
  apiKey: string;
  apiMaxBodyBytes: number;
  broker: Broker;
  moderation: Moderation;
  log: Logger;
  /** Where each request is counted, by route and status. */
  metrics: Metrics;
  about: RouteOptions["about"];
}

/** The route label of a request no route took (unknown, or refused before matching). */
const UNMATCHED = "unmatched";

/** Answers one request whose path is `/api` or under it. */
export type Api = (request: Request, path: string) => Promise<Response>;

/** What every `/api/` request gets while the API is off: the same 404 as an unknown route. */
export function apiOff(): Response {
  return errorResponse(
    new ApiError("not_found", "Not found: the server API is off (set API_KEY to turn it on)"),
  );
}

/** Creates the API of one instance. */
export function createApi(options: ApiOptions): Api {
  const schemas = apiSchemas(options);
  const routes = apiRoutes({
    ...options,
    schemas,
    anyUser: options.authMode === "jwt",
  });

  /** Answers `request`; names the route that took it in `routed`. */
  async function answer(
    request: Request,
    path: string,
    routed: { label: string },
  ): Promise<Response> {
    if (!authorized(request, options.apiKey)) {
      throw new ApiError("unauthorized", "Unauthorized", { "www-authenticate": "Bearer" });
    }
    const segments = splitPath(path);
    const matching = routes.filter((route) => matches(route.path, segments));
    if (matching.length === 0) throw new ApiError("not_found", `Not found: ${describe(path)}`);
    const route = matching.find((route) => route.method === request.method);
    if (!route) {
      const allowed = matching.map((route) => route.method).join(", ");
      throw new ApiError(
        "method_not_allowed",
        `${describe(path)} takes ${allowed}, not ${request.method}`,
        { allow: allowed },
      );
    }
    routed.label = `${route.method} /api/${route.path.join("/")}`;
    const { status = 200, body } = await route.run(callOf(request, route, segments));
    return json(body, status);
  }

  /** The call `request` makes of `route`, its path's names checked. */
  function callOf(request: Request, route: ApiRoute, segments: string[]): ApiCall {
    const params: Record<string, string> = {};
    route.path.forEach((part, i) => {
      if (!part.startsWith("{")) return;
      const name = part.slice(1, -1);
      params[name] = parse(
        name === "channel" ? schemas.channelName : schemas.username,
        segments[i],
        name,
      );
    });
    const query = Object.fromEntries(new URL(request.url).searchParams);
    return { params, query, body: () => readJson(request, options.apiMaxBodyBytes) };
  }

  return async (request, path) => {
    const routed = { label: UNMATCHED };
    const response = await answerSafely(request, path, routed);
    options.metrics.countApiRequest(routed.label, response.status);
    return response;
  };

  /** `answer`, turning whatever it throws into its JSON refusal. */
  async function answerSafely(
    request: Request,
    path: string,
    routed: { label: string },
  ): Promise<Response> {
    try {
      return await answer(request, path, routed);
    } catch (error) {
      if (error instanceof ApiError) return errorResponse(error);
      if (error instanceof BrokerUnavailableError) {
        return errorResponse(
          new ApiError("unavailable", `The broker is unreachable, nothing happened: retry later`),
        );
      }
      options.log.error("api.internal_fault", { method: request.method, path, error });
      return errorResponse(new ApiError("internal_error", "Internal server error (logged)"));
    }
  }
}

/** The segments of a path under `/api/`, each percent-decoded; refused (400) when one cannot be. */
function splitPath(path: string): string[] {
  const segments = path.slice("/api/".length).split("/");
  if (segments.at(-1) === "") segments.pop();
  return segments.map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw new ApiError(
        "invalid_request",
        `Invalid path: ${describe(segment)} is not URL-encoded UTF-8`,
      );
    }
  });
}

/** Whether `segments` fit the route's path, its `{name}` parts taking any segment. */
function matches(path: string[], segments: string[]): boolean {
  return path.length === segments.length &&
    path.every((part, i) => part.startsWith("{") ? segments[i] !== "" : part === segments[i]);
}

/** A caller's path or part of one, shortened for a message. */
function describe(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
