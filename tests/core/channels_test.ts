/**
 * The channel manager on fake sessions over the in-memory broker: joining
 * within the session's limits and grant, leaving, resuming, and letting go
 * of every topic when a session ends.
 */
import { type Broker, BrokerUnavailableError } from "../../src/broker/broker.ts";
import { createMemoryBroker } from "../../src/broker/memory.ts";
import { type Channels, createChannels } from "../../src/core/channels.ts";
import { endGrant, grant } from "../../src/core/grants.ts";
import { createRoster, type Roster } from "../../src/core/roster.ts";
import { CommandRefused, type Session } from "../../src/core/session.ts";
import { assertEquals, assertRejects } from "../support/assert.ts";
import { fakeSession, framesOf, testSettings } from "../support/sessions.ts";

async function withChannels(
  fn: (channels: Channels, roster: Roster<Session>, broker: Broker) => Promise<void>,
  options: { maxChannelsPerSession?: number; broker?: Broker } = {},
): Promise<void> {
  const broker = options.broker ?? createMemoryBroker();
  const roster = createRoster<Session>(broker.bus);
  const channels = createChannels({
    broker,
    roster,
    maxChannelsPerSession: options.maxChannelsPerSession ?? 100,
    channelCreationsPerMinute: 2,
  });
  try {
    await fn(channels, roster, broker);
  } finally {
    await broker.close();
  }
}

/** The code of the CommandRefused that `work` rejects with. */
async function refusedWith(work: () => Promise<unknown>): Promise<string> {
  let code = "";
  await assertRejects(async () => {
    try {
      await work();
    } catch (error) {
      if (error instanceof CommandRefused) code = error.code;
      throw error;
    }
  }, CommandRefused);
  return code;
}

Deno.test("channels: joining registers the channel and makes the session a member, once", async () => {
  await withChannels(async (channels, roster, broker) => {
    const session = fakeSession();
    await channels.join(session, "dev");
    await channels.join(session, "dev");
    assertEquals(await broker.channels.list(), ["dev"]);
    assertEquals([...session.channels], ["dev"]);
    assertEquals([...roster.members("channel:dev")!], [session]);
  });
});

Deno.test("channels: a session in MAX_CHANNELS_PER_SESSION channels is refused too_many_channels", async () => {
  await withChannels(async (channels) => {
    const session = fakeSession();
    await channels.join(session, "one");
    assertEquals(await refusedWith(() => channels.join(session, "two")), "too_many_channels");
    assertEquals([...session.channels], ["one"]);
  }, { maxChannelsPerSession: 1 });
});

Deno.test("channels: creating past CHANNEL_CREATIONS_PER_MINUTE is refused; joining existing channels is not", async () => {
  await withChannels(async (channels, _roster, broker) => {
    const creator = fakeSession({ settings: testSettings({ channelCreationsPerMinute: 2 }) });
    await broker.channels.create("existing");
    await channels.join(creator, "a");
    await channels.join(creator, "b");
    assertEquals(await refusedWith(() => channels.join(creator, "c")), "rate_limited");
    await channels.join(creator, "existing");
    assertEquals([...creator.channels], ["a", "b", "existing"]);
  });
});

Deno.test("channels: a token's channels claim forbids other channels", async () => {
  await withChannels(async (channels) => {
    const session = fakeSession({ user: "alice" });
    grant(session, { user: "alice", expiresAt: Date.now() / 1000 + 3600, channels: ["dev"] });
    await channels.join(session, "dev");
    assertEquals(await refusedWith(() => channels.join(session, "ops")), "forbidden");
    endGrant(session);
  });
});

Deno.test("channels: leaving ends the membership; the last member's leave unsubscribes", async () => {
  await withChannels(async (channels, roster) => {
    const session = fakeSession();
    await channels.join(session, "dev");
    await channels.leave(session, "dev");
    assertEquals([session.channels.size, roster.members("channel:dev")], [0, undefined]);
  });
});

Deno.test("channels: a session closed while its join registered the channel does not become a member", async () => {
  const inner = createMemoryBroker();
  let session: Session | undefined;
  const closingBroker: Broker = {
    ...inner,
    channels: {
      ...inner.channels,
      create: async (name) => {
        session!.state = "closed";
        return await inner.channels.create(name);
      },
    },
  };
  await withChannels(async (channels, roster) => {
    session = fakeSession();
    await channels.join(session, "dev");
    assertEquals([session.channels.size, roster.members("channel:dev")], [0, undefined]);
  }, { broker: closingBroker });
});

Deno.test("channels: joining with since replays what the channel holds after it", async () => {
  await withChannels(async (channels, _roster, broker) => {
    await broker.channels.create("news");
    await broker.bus.publish(["channel:news"], {
      kind: "channel",
      from: "alice",
      to: "news",
      text: "earlier",
    });
    const session = fakeSession();
    await channels.joinAndResume(session, "news", "0000000000000-000000");
    assertEquals(framesOf(session).map((frame) => [frame.message, frame.replay]), [[
      "earlier",
      true,
    ]]);
    assertEquals([...session.channels], ["news"]);
  });
});

Deno.test("channels: a resume whose history read fails leaves no new membership; an old one stays", async () => {
  const inner = createMemoryBroker();
  const failing: Broker = {
    ...inner,
    history: { ...inner.history, since: () => Promise.reject(new BrokerUnavailableError("down")) },
  };
  await withChannels(async (channels, roster) => {
    const newcomer = fakeSession();
    await assertRejects(
      () => channels.joinAndResume(newcomer, "news", "0000000000000-000000"),
      BrokerUnavailableError,
    );
    assertEquals([newcomer.channels.size, newcomer.gates?.replaying.size ?? 0], [0, 0]);
    assertEquals(roster.members("channel:news"), undefined);
    const member = fakeSession();
    await channels.join(member, "dev");
    await assertRejects(() => channels.joinAndResume(member, "dev", "0000000000000-000000"));
    assertEquals([...member.channels], ["dev"]);
  }, { broker: failing });
});

Deno.test("channels: leaveAll lets go of every channel and the inbox", async () => {
  await withChannels(async (channels, roster) => {
    const session = fakeSession({ user: "Alice" });
    await channels.listenToInbox(session);
    await channels.join(session, "a");
    await channels.join(session, "b");
    await Promise.all(channels.leaveAll(session));
    assertEquals(session.channels.size, 0);
    for (const topic of ["user:alice", "channel:a", "channel:b"]) {
      assertEquals(roster.members(topic), undefined, topic);
    }
  });
});
