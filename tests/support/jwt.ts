/**
 * Signed test tokens for AUTH_MODE=jwt, with the HS256 secret the tests
 * configure.
 *
 * @module
 */
import * as jose from "jose";

/** The HS256 secret of the test deployments. */
export const JWT_SECRET = "a-test-secret-that-is-long-enough-123";

const KEY = new TextEncoder().encode(JWT_SECRET);

/** A signed token for `sub`, valid for `seconds`, with extra claims. */
export function token(
  sub: string,
  { seconds = 600, key = KEY, claims = {}, audience }: {
    seconds?: number;
    key?: Uint8Array;
    claims?: Record<string, unknown>;
    audience?: string;
  } = {},
): Promise<string> {
  const jwt = new jose.SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setSubject(sub)
    .setExpirationTime(Math.floor(Date.now() / 1000) + seconds);
  if (audience) jwt.setAudience(audience);
  return jwt.sign(key);
}
