/**
 * The session registry: who is connected to this instance. It accepts a
 * connection from an edge as a new session, routes the session's frames
 * (its first ones to opening, the rest to the command handlers), and once
 * the session is closed, whatever closed it, releases what it held: its
 * channels and inbox, its claim on the name (telling the user's channels
 * when that was their last session), its grant, its lobby presence.
 * Shutdown closes every session (1001) and waits for those releases.
 *
 * @module
 */
import { newSessionId } from "../ids.ts";
import type { Codec, Command } from "../protocol/commands.ts";
import { CLOSE_CODES } from "../protocol/codes.ts";
import type { Handshake } from "../protocol/handshake.ts";
import type { Channels } from "./channels.ts";
import type { Claims } from "./claims.ts";
import type { Connection, ConnectionEvents } from "./connection.ts";
import { endGrant } from "./grants.ts";
import type { Handlers } from "./handlers.ts";
import type { Opening } from "./opening.ts";
import type { PresenceFeed } from "./presence.ts";
import { isPublish, type PublishCommand } from "./publishing.ts";
import {
  type Answer,
  enqueue,
  enqueuePublish,
  NO_ANSWER,
  receiveBinary,
  receiveText,
} from "./intake.ts";
import {
  close,
  createSession,
  disconnected,
  isolate,
  refuseAndClose,
  type Session,
  type SessionSettings,
} from "./session.ts";

/** What the registry needs. */
export interface RegistryOptions {
  settings: SessionSettings;
  codecs: Record<"A" | "B", Codec>;
  opening: Opening;
  handlers: Handlers;
  channels: Channels;
  claims: Claims;
  presence: Pick<PresenceFeed, "statusChanged">;
}

/** The sessions of this instance. */
export interface SessionRegistry {
  /** Takes over a freshly opened connection; the edge reports its events to the result. */
  accept(connection: Connection, handshake: Handshake): ConnectionEvents;
  /** Closes the session whose claim the broker revoked (another user holds the name now). */
  revoke(sessionId: string): void;
  /**
   * Lets the commands sessions sent finish (for at most `drainMs`), closes
   * every session with 1012, and waits until what they held is released.
   */
  shutdown(drainMs?: number): Promise<void>;
  /** Sessions connected now. */
  values(): IterableIterator<Session>;
  /** How many sessions are connected. */
  count(): number;
}

/** Waits for `work`, or `ms`, whichever comes first. */
function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  if (ms === Infinity) return work.then(() => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => timer = setTimeout(resolve, ms));
  return Promise.race([work.then(() => {}), late]).finally(() => clearTimeout(timer));
}

/** The close code of a socket that went without a closing handshake. */
const ABNORMAL_CLOSURE = 1006;

/** Why sessions close when the instance shuts down: reconnect, to another instance. */
const SERVICE_RESTART = "server restarting: reconnect";

/** An edge's events for a connection the core turned away. */
const IGNORED: ConnectionEvents = { text() {}, binary() {}, closed() {} };

/** Creates an empty registry. */
export function createSessionRegistry(options: RegistryOptions): SessionRegistry {
  const { opening, handlers, channels, claims } = options;
  const { log, metrics } = options.settings;
  const sessions = new Map<string, Session>();
  /** Releases still running: shutdown waits for them. */
  const releasing = new Set<Promise<void>>();
  let shuttingDown = false;

  function run(session: Session, command: Command): Promise<void> {
    if (session.state === "open") return handlers.handle(session, command);
    // Kind A is opened before any frame of it runs; kind B opens with its first frame.
    if (session.state === "registering" && command.type === "say") {
      return opening.openKindB(session, command);
    }
    return Promise.resolve();
  }

  /** Queues `command`: a publish in the session's pipeline, any other after what came before. */
  function queue(session: Session, command: Command): void {
    if (!isPublish(command)) return enqueue(session, () => run(session, command), command.ref);
    enqueuePublish(session, (started) => runPublish(session, command, started), command.ref);
  }

  /** Runs a publish in the session's pipeline; the first `say` of kind B opens the session. */
  async function runPublish(
    session: Session,
    command: PublishCommand,
    started: () => void,
  ): Promise<Answer> {
    if (session.state === "open") return await handlers.publish(session, command, started);
    await run(session, command);
    return NO_ANSWER;
  }

  /** Releases everything `session` held; runs once, whatever called it. */
  function release(session: Session): void {
    if (!sessions.delete(session.id)) return;
    log.info("session.closed", {
      session: session.id,
      user: session.user?.name,
      kind: session.codec.kind,
      code: session.closeCode ?? ABNORMAL_CLOSURE,
    });
    const released = Promise.allSettled(releasesOf(session)).then((results) => {
      for (const result of results) {
        if (result.status === "rejected") {
          log.warn("session.cleanup_failed", { session: session.id, error: result.reason });
        }
      }
    });
    releasing.add(released);
    released.finally(() => releasing.delete(released));
  }

  /** What releasing `session` waits for; a fault here is reported like a failed release. */
  function releasesOf(session: Session): Promise<unknown>[] {
    try {
      endGrant(session);
      // The channels to tell if the user goes offline: taken before leaving them.
      const joined = [...session.channels];
      // Commands still running (a claim in flight, say) finish, and undo their work, first.
      const releases: Promise<unknown>[] = [
        session.queue,
        ...channels.leaveAll(session),
        claims.release(session).then((offline) => {
          // The session's channels: a name freed at once has no memberships left to read.
          if (offline && session.codec.kind === "A") {
            return options.presence.statusChanged(session.user!.name, joined);
          }
        }),
      ];
      const farewell = opening.farewell(session);
      if (farewell) releases.push(farewell);
      return releases;
    } catch (error) {
      return [Promise.reject(error)];
    }
  }

  return {
    accept(connection, handshake) {
      // The edge may still hand over a socket it upgraded while shutdown began.
      if (shuttingDown) {
        connection.close(CLOSE_CODES.service_restart, SERVICE_RESTART);
        return IGNORED;
      }
      const session = createSession(
        newSessionId(),
        options.codecs[handshake.kind],
        connection,
        options.settings,
      );
      sessions.set(session.id, session);
      session.closed.then(() => release(session));
      if (handshake.kind === "A") {
        enqueue(session, () => opening.openKindA(session, handshake), undefined, false);
      }
      return {
        text: (data) =>
          isolate(session, () => {
            const command = receiveText(session, data);
            metrics.framesIn[command?.type ?? "refused"]++;
            if (command) queue(session, command);
          }),
        binary: (byteLength) =>
          isolate(session, () => {
            metrics.framesIn.binary++;
            receiveBinary(session, byteLength);
          }),
        closed: (code) => {
          session.closeCode ??= code;
          disconnected(session);
        },
      };
    },
    revoke(sessionId) {
      const session = sessions.get(sessionId);
      if (!session) return;
      isolate(session, () => {
        refuseAndClose(
          session,
          "username_taken",
          "Username taken by someone else while the broker was unreachable: reconnect with another name",
        );
      });
    },
    async shutdown(drainMs = Infinity) {
      shuttingDown = true;
      // What clients sent before the shutdown began is answered: acked publishes are stored. A
      // publish stuck on the broker must not keep every session from its 1012: the wait is bounded.
      await settledWithin(
        Promise.allSettled([...sessions.values()].map((session) => session.queue)),
        drainMs,
      );
      for (const session of [...sessions.values()]) {
        close(session, CLOSE_CODES.service_restart, SERVICE_RESTART);
        release(session);
      }
      await Promise.all([...releasing]);
    },
    values: () => sessions.values(),
    count: () => sessions.size,
  };
}
