/**
 * Idle and connect storm: clients connect on an open-loop ramp into rooms
 * of 10 and then stay idle. Counts who got in, what was refused or dropped,
 * how long it took, what the server holds per connection, and the bytes of
 * every frame that was not a message or an ack (presence lists, handshake,
 * pings) over the ramp and a settle time.
 *
 * @module
 */
import { closeAll, JOIN_TIMEOUT_MS, Meter, ramp, sleep } from "../load.ts";
import { cpuMeter, peakRssKiB, rssKiB } from "../measure.ts";
import { type ServerKind, startServers } from "../servers.ts";
import type { Figures, Scenario } from "./scenario.ts";

const ROOM_SIZE = 10;
/** Idle time after the ramp: more than one list interval (LIST_UPDATE_INTERVAL_MS, default 1 s). */
const settleMs = (quick: boolean) => quick ? 1_200 : 3_000;

/** Connects `count` clients at `perSecond` to a fresh server of `kind` and measures. */
async function connectIdle(
  kind: ServerKind,
  count: number,
  perSecond: number,
  quick: boolean,
): Promise<Figures> {
  await using servers = await startServers(kind);
  const [pid] = servers.pids;
  const meter = new Meter();
  const before = await rssKiB(pid);
  const generator = await cpuMeter([Deno.pid]);
  const { clients, connectMs, failed } = await ramp(kind.dialect, servers.origins[0], meter, {
    count,
    perSecond,
    roomSize: ROOM_SIZE,
    prefix: "idle",
  });
  try {
    await sleep(settleMs(quick));
    const after = await rssKiB(pid);
    const generatorCpu = (await generator.stop()).percent;
    const connected = clients.filter((client) => client.socket.readyState === WebSocket.OPEN);
    return {
      clients: count,
      connected: connected.length,
      errors: failed + meter.unexpectedCloses,
      slowConsumerDrops: meter.slowConsumerDrops,
      connectSeconds: connectMs / 1000,
      kibPerConnection: (after - before) / Math.max(1, connected.length),
      presenceBytesPerClient: meter.otherBytes / count,
      presenceMiB: meter.otherBytes / 2 ** 20,
      peakMiB: await peakRssKiB(pid) / 1024,
      generatorCpu,
    };
  } finally {
    await closeAll(clients);
  }
}

const idleSize = (quick: boolean) => ({ clients: quick ? 1000 : 10_000, perSecond: 1000 });

export const IDLE: Scenario = {
  id: "idle",
  title: "Idle: clients in rooms of 10",
  method({ quick }) {
    const { clients, perSecond } = idleSize(quick);
    return `${clients} clients (kind A for Natter) connect at ${perSecond}/s (open loop), each ` +
      `joining a room of ${ROOM_SIZE}, then stay idle ${
        settleMs(quick) / 1000
      } s. Connect time: first ` +
      `connect to last join ack (a client not joined within ${JOIN_TIMEOUT_MS / 1000} s counts ` +
      `as an error). Memory per connection: server RSS after the settle minus RSS ` +
      `before the ramp, over the clients connected. Presence bytes: every frame that is not a ` +
      `message or an ack, over the ramp and the settle. Natter runs with its default list ` +
      `settings.`;
  },
  columns: [
    { key: "connected", label: "connected", digits: 0 },
    { key: "errors", label: "errors", digits: 0 },
    { key: "slowConsumerDrops", label: "slow-consumer drops (4005)", digits: 0 },
    { key: "connectSeconds", label: "connect time (s)", digits: 1 },
    { key: "kibPerConnection", label: "server memory per connection (KiB)", digits: 1 },
    { key: "presenceBytesPerClient", label: "presence bytes per client", digits: 0 },
    { key: "generatorCpu", label: "load generator CPU (%)", digits: 0 },
  ],
  run: (kind, { quick }) =>
    connectIdle(kind, idleSize(quick).clients, idleSize(quick).perSecond, quick),
};

const stormSize = (quick: boolean) => ({ clients: quick ? 1000 : 5000, seconds: quick ? 1 : 10 });

export const STORM: Scenario = {
  id: "storm",
  title: "Connect storm",
  method({ quick }) {
    const { clients, seconds } = stormSize(quick);
    return `${clients} clients connect within ${seconds} s (open loop) into rooms of ` +
      `${ROOM_SIZE}, then ${
        settleMs(quick) / 1000
      } s idle. Presence traffic: all bytes that were not ` +
      `a message or an ack; peak memory: the server's VmHWM.`;
  },
  columns: [
    { key: "connected", label: "connected", digits: 0 },
    { key: "errors", label: "errors", digits: 0 },
    { key: "connectSeconds", label: "connect time (s)", digits: 1 },
    { key: "presenceMiB", label: "presence traffic (MiB)", digits: 1 },
    { key: "peakMiB", label: "server peak memory (MiB)", digits: 0 },
    { key: "generatorCpu", label: "load generator CPU (%)", digits: 0 },
  ],
  run(kind, { quick }) {
    const { clients, seconds } = stormSize(quick);
    return connectIdle(kind, clients, clients / seconds, quick);
  },
};
