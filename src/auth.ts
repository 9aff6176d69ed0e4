/**
 * JWT authentication (npm:jose, Web Crypto only, so every runtime shares
 * it): verifies a token against an HS256 secret, an RS256/ES256 public key
 * (PEM) or a JWKS URL, requires `sub` and `exp`, checks `iss`/`aud` when
 * configured, and reads the optional `channels` claim.
 *
 * @module
 */
import * as jose from "jose";
import {
  checkName,
  DEFAULT_SCRIPT_RESTRICTION,
  isChannelName,
  quoteName,
  type ScriptRestriction,
} from "./protocol/names.ts";

/** Who a verified token speaks for. */
export interface Identity {
  /** The token's `sub`: the username, in its NFC form. */
  user: string;
  /** Seconds since the epoch after which the token is no longer valid. */
  expiresAt: number;
  /** Channels (names, or prefixes ending in `*`) the user may use; absent: all. */
  channels?: string[];
}

/** A token that cannot be accepted; the message says why. */
export class InvalidTokenError extends Error {
  override name = "InvalidTokenError";
}

/** Verifies bearer tokens. */
export interface Authenticator {
  /** The identity of a valid token. @throws {InvalidTokenError} */
  verify(token: string): Promise<Identity>;
}

/** Where the keys come from and what to check. */
export interface JwtOptions {
  secret?: string;
  publicKeyPem?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** How far a `sub` may mix scripts (NAME_SCRIPT_RESTRICTION). @default "moderately-restrictive" */
  nameScriptRestriction?: ScriptRestriction;
}

/** An authenticator for the one key source `options` names. */
export function createJwtAuthenticator(options: JwtOptions): Authenticator {
  const check = {
    requiredClaims: ["exp", "sub"],
    ...(options.issuer ? { issuer: options.issuer } : {}),
    ...(options.audience ? { audience: options.audience } : {}),
  };
  const verifyWith = keySource(options);
  return {
    async verify(token) {
      let payload: jose.JWTPayload;
      try {
        payload = await verifyWith(token, check);
      } catch (error) {
        throw new InvalidTokenError(describe(error));
      }
      return identityOf(payload, options.nameScriptRestriction ?? DEFAULT_SCRIPT_RESTRICTION);
    },
  };
}

type Verify = (token: string, check: jose.JWTVerifyOptions) => Promise<jose.JWTPayload>;

function keySource(options: JwtOptions): Verify {
  if (options.secret !== undefined) {
    const key = new TextEncoder().encode(options.secret);
    return async (token, check) =>
      (await jose.jwtVerify(token, key, { ...check, algorithms: ["HS256"] })).payload;
  }
  if (options.publicKeyPem !== undefined) {
    const pem = options.publicKeyPem;
    // The algorithm follows from the key: RSA keys sign RS256, P-256 keys ES256.
    const key = jose.importSPKI(pem, "RS256").then((k) => ({ k, alg: "RS256" })).catch(() =>
      jose.importSPKI(pem, "ES256").then((k) => ({ k, alg: "ES256" }))
    );
    return async (token, check) => {
      const { k, alg } = await key;
      return (await jose.jwtVerify(token, k, { ...check, algorithms: [alg] })).payload;
    };
  }
  if (options.jwksUrl !== undefined) {
    const keys = jose.createRemoteJWKSet(new URL(options.jwksUrl));
    return async (token, check) =>
      (await jose.jwtVerify(token, keys, { ...check, algorithms: ["RS256", "ES256"] })).payload;
  }
  throw new TypeError("JWT authentication needs a secret, a public key or a JWKS URL");
}

function identityOf(payload: jose.JWTPayload, scripts: ScriptRestriction): Identity {
  const sub = payload.sub ?? "";
  const verdict = checkName(sub, "username", scripts);
  if (!verdict.ok) {
    throw new InvalidTokenError(`sub ${quoteName(sub)} is not a username: it ${verdict.problem}`);
  }
  const channels = payload.channels;
  if (
    channels !== undefined &&
    !(Array.isArray(channels) && channels.every((entry) => typeof entry === "string"))
  ) {
    throw new InvalidTokenError("the channels claim must be a list of strings");
  }
  return {
    user: verdict.name,
    expiresAt: payload.exp!,
    // Channel names are compared in their NFC form, as clients' names are.
    ...(channels === undefined
      ? {}
      : { channels: (channels as string[]).map((entry) => entry.normalize("NFC")) }),
  };
}

/** Whether `channel` is one of `allowed` (names, or prefixes ending in `*`); absent allows all. */
export function mayUseChannel(allowed: readonly string[] | undefined, channel: string): boolean {
  if (allowed === undefined) return true;
  return allowed.some((entry) =>
    entry.endsWith("*") ? channel.startsWith(entry.slice(0, -1)) : entry === channel
  ) && isChannelName(channel, "unrestricted"); // The frame's schema applied the script rule.
}

function describe(error: unknown): string {
  if (error instanceof jose.errors.JWTExpired) return "the token has expired";
  if (error instanceof jose.errors.JWTClaimValidationFailed) {
    return `claim ${error.claim} is not valid: ${error.reason}`;
  }
  if (error instanceof jose.errors.JWSSignatureVerificationFailed) {
    return "the signature does not verify";
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
