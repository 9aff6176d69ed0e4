/**
 * Requests waiting for their answer: each has a `ref`, and stays here until
 * an `ack`, an `error` or an answer frame with that `ref` settles it. After a
 * reconnect they are all sent again, in order, with their original `ref`:
 * the server's dedup answers a publish that was already stored with its
 * original id (`duplicate: true`), so nothing is published twice.
 *
 * @module
 */
import { type ClientFrame, NatterError, type ServerFrameA } from "./types.ts";

interface Waiting {
  frame: ClientFrame & { ref: string };
  resolve(answer: ServerFrameA): void;
  reject(error: Error): void;
}

export class Outbox {
  readonly #waiting = new Map<string, Waiting>();
  /** Refs are unique per client and across clients (two tabs must not share one). */
  readonly #prefix = crypto.randomUUID().slice(0, 8);
  #count = 0;

  /** Files `frame` under a new ref; the promise settles with its answer. */
  add(frame: ClientFrame): { frame: ClientFrame & { ref: string }; answer: Promise<ServerFrameA> } {
    const withRef = { ...frame, ref: `${this.#prefix}-${++this.#count}` };
    const answer = new Promise<ServerFrameA>((resolve, reject) => {
      this.#waiting.set(withRef.ref, { frame: withRef, resolve, reject });
    });
    return { frame: withRef, answer };
  }

  /** Settles the request `frame` answers; false when it answers none. */
  settle(frame: ServerFrameA & { ref?: string }): boolean {
    const waiting = frame.ref === undefined ? undefined : this.#waiting.get(frame.ref);
    if (!waiting) return false;
    this.#waiting.delete(frame.ref!);
    if (frame.type === "error") waiting.reject(new NatterError(frame.code, frame.message));
    else waiting.resolve(frame);
    return true;
  }

  /** Every unanswered frame, oldest first. */
  unanswered(): (ClientFrame & { ref: string })[] {
    return [...this.#waiting.values()].map(({ frame }) => frame);
  }

  /** Rejects everything still waiting: the client is closed for good. */
  rejectAll(error: NatterError): void {
    for (const { reject } of this.#waiting.values()) reject(error);
    this.#waiting.clear();
  }
}
