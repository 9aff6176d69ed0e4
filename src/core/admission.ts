/**
 * Who may open a WebSocket, decided before the upgrade: the browser's
 * `Origin` against `ALLOWED_ORIGINS`, the total number of connections of
 * this instance, and the number per client address. An admitted
 * connection holds a ticket until it closes.
 *
 * @module
 */

/** Connection caps and origins. */
export interface AdmissionOptions {
  /** Origins browsers may connect from; `["*"]` allows any. */
  allowedOrigins: readonly string[];
  /** Open connections this instance accepts in all. */
  maxConnections: number;
  /** Open connections this instance accepts from one client address. */
  maxConnectionsPerIp: number;
}

/** A place held by one connection; `release` frees it (idempotent). */
export interface Ticket {
  release(): void;
}

/** Why a connection was refused, as the HTTP answer to give. */
export interface Refused {
  status: 403 | 429 | 503;
  reason: string;
}

/** Admission control for one instance. */
export interface Admission {
  /** A ticket, or why not. `origin` is the request's `Origin` header (absent for non-browsers). */
  admit(ip: string, origin: string | null): Ticket | Refused;
  /** Connections open now. */
  open(): number;
}

/** Creates admission control with no connection open. */
export function createAdmission(options: AdmissionOptions): Admission {
  const anyOrigin = options.allowedOrigins.includes("*");
  const origins = new Set(options.allowedOrigins.map(normalizeOrigin));
  const perIp = new Map<string, number>();
  let total = 0;
  return {
    admit(ip, origin) {
      if (origin !== null && !anyOrigin && !origins.has(normalizeOrigin(origin))) {
        return { status: 403, reason: `Origin not allowed: ${origin.slice(0, 100)}` };
      }
      if (total >= options.maxConnections) {
        return {
          status: 503,
          reason: "This instance is full: try again later or another instance",
        };
      }
      const fromIp = perIp.get(ip) ?? 0;
      if (fromIp >= options.maxConnectionsPerIp) {
        return { status: 429, reason: "Too many connections from your address" };
      }
      total++;
      perIp.set(ip, fromIp + 1);
      let held = true;
      return {
        release() {
          if (!held) return;
          held = false;
          total--;
          const left = (perIp.get(ip) ?? 1) - 1;
          if (left === 0) perIp.delete(ip);
          else perIp.set(ip, left);
        },
      };
    },
    open: () => total,
  };
}

function normalizeOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, "");
}

/** Whether `admit` refused. */
export function isRefused(result: Ticket | Refused): result is Refused {
  return "status" in result;
}

/**
 * The client's address: the socket's peer, or, behind a trusted proxy, the
 * last `X-Forwarded-For` entry (the one that proxy added; earlier entries
 * come from the client and can be forged).
 */
export function clientAddress(
  peer: string,
  forwardedFor: string | null,
  trustProxy: boolean,
): string {
  if (!trustProxy || !forwardedFor) return peer;
  const entries = forwardedFor.split(",").map((entry) => entry.trim()).filter(Boolean);
  return entries.at(-1) ?? peer;
}
