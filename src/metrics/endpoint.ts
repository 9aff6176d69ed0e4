/**
 * The `/metrics` endpoint: with METRICS_TOKEN set, only a request bearing it
 * (`Authorization: Bearer …`, compared in constant time) gets the metrics,
 * others a 401; the text is produced when the response body is read, since
 * some gauges are asked of the broker.
 *
 * @module
 */
import { sameSecret } from "../ids.ts";
import { bearerToken } from "../protocol/handshake.ts";
import { EXPOSITION_CONTENT_TYPE } from "./exposition.ts";

/** The answer to a request of `/metrics`; `scrape` writes the text and never rejects. */
export function metricsResponse(
  request: Request,
  token: string | undefined,
  scrape: () => Promise<string>,
): Response {
  if (
    token !== undefined && !sameSecret(bearerToken(request.headers.get("authorization")), token)
  ) {
    return new Response("Unauthorized: send Authorization: Bearer METRICS_TOKEN\n", {
      status: 401,
      headers: { "content-type": "text/plain; charset=utf-8", "www-authenticate": "Bearer" },
    });
  }
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(new TextEncoder().encode(await scrape()));
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": EXPOSITION_CONTENT_TYPE } });
}
