/**
 * The steps every codec takes before its own schema: parse the text as one
 * JSON object, pick out a usable `ref`, and turn a zod failure into a
 * refusal with a stable code.
 *
 * @module
 */
import type { z } from "zod";
import type { Refusal } from "./commands.ts";
import { ERROR_CODES, type ErrorCode } from "./codes.ts";
import { MAX_REF_CHARS } from "./frames.ts";

/** A parsed frame object and its `ref`, or the refusal for unparsable text. */
export type FrameObject =
  | { ok: true; value: Record<string, unknown>; ref?: string }
  | { ok: false; refusal: Refusal };

/** Parses `text` as a JSON object; anything else is refused with `invalid_json`. */
export function readFrameObject(text: string): FrameObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      refusal: { code: "invalid_json", message: `Cannot parse frame: ${reason}` },
    };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return {
      ok: false,
      refusal: { code: "invalid_json", message: "Cannot parse frame: expected a JSON object" },
    };
  }
  const record = value as Record<string, unknown>;
  const ref = typeof record.ref === "string" && record.ref.length <= MAX_REF_CHARS
    ? record.ref
    : undefined;
  return { ok: true, value: record, ...(ref === undefined ? {} : { ref }) };
}

/** The refusal for a frame that failed its schema: the first issue decides the code. */
export function refusalFromIssues(error: z.ZodError, ref: string | undefined): Refusal {
  const issue = error.issues[0];
  const declared = (issue?.code === "custom" ? issue.params?.code : undefined) as
    | ErrorCode
    | undefined;
  const code: ErrorCode = declared !== undefined && declared in ERROR_CODES
    ? declared
    : "invalid_frame";
  const field = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  const message = `Invalid frame: ${field}${issue?.message ?? "does not match the protocol"}`;
  return { code, message, ...(ref === undefined ? {} : { ref }) };
}
