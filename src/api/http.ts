/**
 * The server API's HTTP plumbing: who may call it (the bearer key, compared
 * in constant time), reading a JSON body no larger than the limit (counted
 * as it arrives, whatever `Content-Length` claims), checking it against its
 * schema, and the JSON answers, errors always as
 * `{"error":{"code","message"}}` with the status their code has.
 *
 * @module
 */
import type { z } from "zod";
import { sameSecret } from "../ids.ts";
import { API_ERRORS, type ApiErrorCode } from "../protocol/api.ts";
import { bearerToken } from "../protocol/handshake.ts";

/** A refusal of an API request: answered with its code's status. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(readonly code: ApiErrorCode, message: string, readonly headers = {}) {
    super(message);
  }
}

/** A JSON answer with `status`. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      ...headers,
    },
  });
}

/** The answer to a refused request. */
export function errorResponse(error: ApiError): Response {
  return json(
    { error: { code: error.code, message: error.message } },
    API_ERRORS[error.code].status,
    error.headers,
  );
}

/** Whether `request` bears `key` as its bearer token. */
export function authorized(request: Request, key: string): boolean {
  return sameSecret(bearerToken(request.headers.get("authorization")), key);
}

/**
 * The request's body as JSON, `{}` when it has none. Refuses (413) one
 * larger than `maxBytes` as soon as that many bytes arrived, and (400) one
 * that is not UTF-8 JSON.
 */
export async function readJson(request: Request, maxBytes: number): Promise<unknown> {
  const tooLarge = new ApiError(
    "payload_too_large",
    `The body is larger than ${maxBytes} bytes (API_MAX_BODY_BYTES)`,
  );
  if (Number(request.headers.get("content-length")) > maxBytes) throw tooLarge;
  if (!request.body) return {};
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  if (size === 0) return {};
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new ApiError("invalid_request", "The body is not JSON (UTF-8)");
  }
}

/** `value` checked against `schema`; refused (400) with the first problem, naming its field. */
export function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const checked = schema.safeParse(value);
  if (checked.success) return checked.data;
  const [issue] = checked.error.issues;
  const field = issue.path.length === 0 ? what : issue.path.join(".");
  throw new ApiError("invalid_request", `Invalid ${field}: ${issue.message}`);
}
