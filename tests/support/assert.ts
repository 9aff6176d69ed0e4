/**
 * The assertions the tests use, on `node:assert/strict` (built into Deno),
 * named as in jsr:@std/assert so that this one module can switch back to JSR
 * (`export * from "jsr:@std/assert"`) once the registry is reachable.
 *
 * @module
 */
import assert from "node:assert/strict";

// Node's typings take a message only as a given string, so each call has two forms.

export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  if (message === undefined) assert.deepStrictEqual(actual, expected);
  else assert.deepStrictEqual(actual, expected, message);
}

export function assertNotEquals<T>(actual: T, expected: T, message?: string): void {
  if (message === undefined) assert.notDeepStrictEqual(actual, expected);
  else assert.notDeepStrictEqual(actual, expected, message);
}

function assert_(condition: unknown, message?: string): asserts condition {
  if (message === undefined) assert.ok(condition);
  else assert.ok(condition, message);
}

export { assert_ as assert };

export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  if (message === undefined) assert.match(actual, pattern);
  else assert.match(actual, pattern, message);
}

/** Asserts `fn` throws (an `errorClass`, whose message `includes` the text, when given); returns the error. */
export function assertThrows(
  fn: () => unknown,
  errorClass?: new (...args: never[]) => Error,
  includes?: string,
): unknown {
  try {
    fn();
  } catch (error) {
    if (errorClass && !(error instanceof errorClass)) {
      throw new assert.AssertionError({ message: `expected ${errorClass.name}, got ${error}` });
    }
    if (includes !== undefined && !(error instanceof Error && error.message.includes(includes))) {
      throw new assert.AssertionError({ message: `expected an error including "${includes}"` });
    }
    return error;
  }
  throw new assert.AssertionError({ message: "expected the function to throw" });
}

export async function assertRejects(
  fn: () => PromiseLike<unknown>,
  errorClass?: new (...args: never[]) => Error,
  includes?: string,
): Promise<void> {
  await assert.rejects(async () => await fn(), (error: unknown) => {
    if (errorClass && !(error instanceof errorClass)) return false;
    return includes === undefined || (error instanceof Error && error.message.includes(includes));
  });
}

export function assertLessOrEqual(actual: number, expected: number, message?: string): void {
  assert.ok(actual <= expected, message ?? `expected ${actual} <= ${expected}`);
}

export function assertGreaterOrEqual(actual: number, expected: number, message?: string): void {
  assert.ok(actual >= expected, message ?? `expected ${actual} >= ${expected}`);
}
