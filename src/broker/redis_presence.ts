/**
 * The Redis broker's user directory: username claims and presence. It
 * remembers the sessions this instance opened, so that a heartbeat every
 * third of `presenceTtlMs` keeps them alive (a dead instance's users expire)
 * and so that their claims can be put back after Redis lost them (a restart,
 * an expiry during a partition). A claim someone else took meanwhile is
 * revoked: its sessions here are handed to `revoked`, and the core closes
 * them.
 *
 * @module
 */
import { userKey } from "../protocol/names.ts";
import type { Logger } from "../log.ts";
import type {
  ChannelRegistry,
  ChannelRole,
  OpenSessionRequest,
  OpenSessionResult,
  Presence,
  UserDirectory,
  UserStatus,
} from "./broker.ts";
import type { Commands } from "./redis_commands.ts";
import { activeUntil, fromStreamId, storedMeasure } from "./redis_payloads.ts";
import { newSessionId } from "../ids.ts";

/** What the directory needs from the rest of the broker. */
export interface PresenceOptions {
  commands: Commands;
  /** Whether the command connection is up (a heartbeat is skipped while it is not). */
  isConnected(): boolean;
  /** How long a session outlives its instance's last heartbeat. */
  presenceTtlMs: number;
  /** How long a claimed name's inbox owner is remembered. */
  historyTtlMs: number;
  /** How long a user keeps the name after their last session ends. */
  reconnectGraceMs: number;
  /** Told of each local session whose claim another user holds now. */
  revoked(sessionId: string): void;
  /** Told of users whose presence expired (their instance died): they are offline now. */
  expired(names: string[]): void;
  log: Logger;
}

/** The channel registry's questions about members, answered from the directory's keys. */
export type ChannelMembers = Pick<
  ChannelRegistry,
  "count" | "search" | "members" | "onlineMembers" | "memberCounts"
>;

/** The directory, and how the broker heals and stops it. */
export interface RedisPresence {
  users: UserDirectory;
  channels: ChannelMembers;
  /** Puts back the claims and sessions of every local user (after the command connection is back). */
  restore(): Promise<void>;
  /** How many instances beat within the presence TTL, this one included. */
  instances(): Promise<number>;
  /** Stops the heartbeat. */
  stop(): void;
}

/** A session this instance opened, kept so it can be refreshed and restored. */
interface LocalSession {
  key: string;
  name: string;
  kind: "A" | "B";
  tokenHash: string;
  /** A verified identity (JWT), whose inbox a restore keeps. */
  identified: boolean;
}

/** Creates the directory and starts its heartbeat. */
export function createRedisPresence(options: PresenceOptions): RedisPresence {
  const { commands: { run }, presenceTtlMs, historyTtlMs, reconnectGraceMs, log } = options;
  const localSessions = new Map<string, LocalSession>();
  const heartbeat = setInterval(beat, Math.max(250, Math.floor(presenceTtlMs / 3)));

  async function restoreUsers(keys: Set<string>): Promise<void> {
    const byUser = new Map<string, [string, LocalSession][]>();
    for (const entry of localSessions) {
      if (!keys.has(entry[1].key)) continue;
      const sessions = byUser.get(entry[1].key);
      if (sessions) sessions.push(entry);
      else byUser.set(entry[1].key, [entry]);
    }
    await Promise.all([...byUser.values()].map(async (sessions) => {
      const { key, name, kind, tokenHash, identified } = sessions[0][1];
      const ids = sessions.map(([id]) => id);
      const restored = await run(
        "RESTORE_USER",
        presenceTtlMs,
        historyTtlMs,
        reconnectGraceMs,
        key,
        name,
        kind,
        tokenHash,
        identified ? "1" : "",
        ...ids,
      );
      if (restored === 1) return;
      log.warn("redis.claim_lost", {
        user: name,
        message: "the name was claimed anew while Redis was unreachable; closing its sessions",
      });
      for (const id of ids) {
        localSessions.delete(id);
        options.revoked(id);
      }
    }));
  }

  /** Takes expired users off the online set, records when they were seen, and reports them. */
  async function sweep(): Promise<void> {
    const expired = await run("EXPIRE_USERS", presenceTtlMs) as string[];
    if (expired.length === 0) return;
    const names = expired.filter((_, i) => i % 2 === 0);
    await Promise.all(
      names.map((name, i) =>
        run("MARK_SEEN", userKey(name), name, expired[2 * i + 1], historyTtlMs)
      ),
    );
    options.expired(names);
  }

  /** Names this instance in the census of live instances. */
  const instanceId = newSessionId();
  const instances = async () => await run("INSTANCE_BEAT", instanceId, presenceTtlMs) as number;

  async function beat(): Promise<void> {
    if (!options.isConnected()) return;
    await instances().catch((error) => log.warn("redis.heartbeat_failed", { error }));
    await refreshLocal();
    // After this instance's own users are refreshed: a long sweep never lets them expire.
    await sweep().catch((error) => log.warn("redis.presence_sweep_failed", { error }));
  }

  async function refreshLocal(): Promise<void> {
    if (localSessions.size === 0) return;
    const args = [...localSessions].flatMap(([id, s]) => [s.key, s.name, s.tokenHash, id]);
    try {
      const missing = await run(
        "HEARTBEAT",
        presenceTtlMs,
        reconnectGraceMs,
        historyTtlMs,
        ...args,
      ) as string[];
      if (missing.length > 0) await restoreUsers(new Set(missing));
    } catch (error) {
      log.warn("redis.heartbeat_failed", { error });
    }
  }

  const users: UserDirectory = {
    async open(request: OpenSessionRequest): Promise<OpenSessionResult> {
      const reply = await run(
        "OPEN_SESSION",
        request.name ?? "",
        request.name === undefined ? "" : userKey(request.name),
        request.presentedTokenHash ?? "",
        request.freshTokenHash,
        request.sessionId,
        request.kind,
        presenceTtlMs,
        historyTtlMs,
        request.maxSessions,
        request.shared ? "1" : "",
        reconnectGraceMs,
        request.identified ? "1" : "",
      ) as string[];
      const [status, name, kind, tokenHash, first, seen] = reply;
      if (status === "taken" || status === "unknown_token" || status === "too_many_sessions") {
        return { status };
      }
      const user = { name, kind: kind as "A" | "B" };
      localSessions.set(request.sessionId, {
        key: userKey(name),
        name,
        kind: user.kind,
        tokenHash,
        identified: request.identified === true,
      });
      return {
        status: status as "claimed" | "joined",
        user,
        tokenHash,
        firstSession: first === "1",
        ...(seen ? { seen: fromStreamId(seen) } : {}),
      };
    },
    async close(name, sessionId) {
      localSessions.delete(sessionId);
      const offline = await run(
        "CLOSE_SESSION",
        userKey(name),
        sessionId,
        reconnectGraceMs,
        historyTtlMs,
      );
      return offline === 1;
    },
    async lookup(name) {
      const reply = await run("LOOKUP_USER", userKey(name)) as [string, string, string] | null;
      if (!reply || !reply[0]) return undefined;
      return { name: reply[0], kind: reply[1] as "A" | "B", online: reply[2] === "1" };
    },
    async online() {
      return await run("ONLINE_USERS", presenceTtlMs) as string[];
    },
    async onlineCount() {
      return await run("ONLINE_COUNT", presenceTtlMs) as number;
    },
    async setStatus(name, status, text) {
      await run("SET_STATUS", userKey(name), name, status, text ?? "", historyTtlMs);
    },
    async presence(names) {
      if (names.length === 0) return [];
      const reply = await run(
        "USER_PRESENCE",
        ...names.flatMap((name) => [userKey(name), name]),
      ) as string[];
      return names.map((_, i) => presenceAt(reply, i * PRESENCE_FIELDS));
    },
    async memberships(name) {
      return await run("USER_MEMBERSHIPS", userKey(name)) as string[];
    },
    async setMembership(name, channel, member) {
      const changed = await run(
        "SET_MEMBERSHIP",
        userKey(name),
        channel,
        member ? "1" : "",
        historyTtlMs,
        name,
      );
      return changed === 1;
    },
    async bar(name, measure) {
      await run("BAR_USER", userKey(name), storedMeasure(measure));
    },
    async barredUntil(name) {
      return activeUntil(await run("BARRED_UNTIL", userKey(name)) as string | null ?? undefined);
    },
  };

  const channels: ChannelMembers = {
    async count() {
      return await run("CHANNEL_COUNT") as number;
    },
    async search({ prefix, after, limit }) {
      const [next, ...found] = await run("CHANNEL_SEARCH", prefix, after ?? "", limit) as [
        string,
        ...(string | number)[],
      ];
      const channels = [];
      for (let i = 0; i < found.length; i += 2) {
        channels.push({ name: String(found[i]), members: Number(found[i + 1]) });
      }
      return { channels, ...(next ? { next } : {}) };
    },
    async members(name, { after, limit }) {
      const [count, next, ...fields] = await run("MEMBERS_PAGE", name, after ?? "", limit) as [
        number,
        string,
        ...string[],
      ];
      const members = [];
      for (let i = 0; i < fields.length; i += MEMBER_FIELDS) {
        const role = fields[i + PRESENCE_FIELDS] as ChannelRole | "";
        members.push({ ...presenceAt(fields, i), ...(role ? { role } : {}) });
      }
      return { members, count, ...(next ? { next } : {}) };
    },
    async onlineMembers(name, limit) {
      const [members, online, ...names] = await run("ONLINE_MEMBERS", name, limit) as [
        number,
        number,
        ...string[],
      ];
      return { names, online, members };
    },
    async memberCounts(names) {
      if (names.length === 0) return [];
      return await run("MEMBER_COUNTS", ...names) as number[];
    },
  };

  return {
    users,
    channels,
    async restore() {
      await restoreUsers(new Set([...localSessions.values()].map((session) => session.key)));
      await beat();
    },
    instances,
    stop: () => clearInterval(heartbeat),
  };
}

/** Fields per user in the scripts' presence replies: name, online, status, text, last seen. */
const PRESENCE_FIELDS = 5;

/** Fields per member in a members page: the presence's, then the role ('' for a member). */
const MEMBER_FIELDS = PRESENCE_FIELDS + 1;

/** The presence whose five fields start at `at` in `reply`. */
function presenceAt(reply: string[], at: number): Presence {
  const [name, online, status, text, seen] = reply.slice(at, at + PRESENCE_FIELDS);
  return {
    name,
    online: online === "1",
    status: status as UserStatus,
    ...(text ? { text } : {}),
    ...(seen ? { lastSeen: Number(seen) } : {}),
  };
}
