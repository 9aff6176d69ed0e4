/**
 * The server API's routes: each method and path (`docs/api.md` lists them),
 * and what it does. Reads go to the broker; changes go through the core's
 * moderation effects or the broker's publish, exactly as the WebSocket
 * commands make them, so every session on every instance follows. The API
 * acts as the server: no role is checked, only that the channel exists.
 *
 * @module
 */
import { type Broker, channelTopic, type Measure, userTopic } from "../broker/broker.ts";
import { measureOf, type Moderation } from "../core/moderation.ts";
import { type ApiSchemas, DEFAULT_DISCONNECT_REASON } from "../protocol/api.ts";
import { DEFAULT_HISTORY_LIMIT, DEFAULT_PAGE_LIMIT } from "../protocol/frames.ts";
import { byCodePoints, userKey } from "../protocol/names.ts";
import { ApiError, parse } from "./http.ts";
import { channelNotFound, createApiPublish } from "./publish.ts";

/** One request as a route sees it: its path's names, its query, and its body on demand. */
export interface ApiCall {
  /** The `{channel}`, `{user}` and `{other}` of the path, checked names in their NFC form. */
  params: Record<string, string>;
  query: Record<string, string>;
  /** The JSON body, read (bounded) when the route asks for it. */
  body(): Promise<unknown>;
}

/** What a route answers: a JSON body, with 200 unless said. */
export interface ApiAnswer {
  status?: number;
  body: unknown;
}

/** A route: its method, its path as segments (`{name}` for a parameter), and what it does. */
export interface ApiRoute {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string[];
  run(call: ApiCall): Promise<ApiAnswer>;
}

/** What the routes need. */
export interface RouteOptions {
  broker: Broker;
  moderation: Moderation;
  schemas: ApiSchemas;
  lobbyChannel: string;
  /** AUTH_MODE=jwt: every valid username is a user; otherwise only a held name is. */
  anyUser: boolean;
  /** `GET /api/info`: what this instance says of itself besides the broker's counts. */
  about: () => { version: string; runtime?: string; sessions: number };
}

/** Every route of the API. */
export function apiRoutes(options: RouteOptions): ApiRoute[] {
  const { broker, moderation, schemas } = options;
  const publish = createApiPublish({ broker, anyRecipient: options.anyUser });

  /** The channel `{channel}` names; refused (404) when there is none. */
  async function existing(call: ApiCall): Promise<string> {
    const { channel } = call.params;
    if (!(await broker.channels.exists(channel))) throw channelNotFound(channel);
    return channel;
  }

  /**
   * The user `name` as held (with the kind of client that holds it), or, in
   * JWT mode, a name nobody holds yet; in anonymous mode refused (404).
   */
  async function holder(name: string): Promise<{ name: string; kind?: "A" | "B" }> {
    const found = await broker.users.lookup(name);
    if (found) return found;
    if (options.anyUser) return { name };
    throw new ApiError("user_not_found", `No user "${name}": nobody holds that name now`);
  }

  /** A ban or mute set by `PUT` (for `seconds`, or for good) or lifted by `DELETE`. */
  function measureRoutes(kind: "ban" | "mute", segment: string): ApiRoute[] {
    const path = ["channels", "{channel}", segment, "{user}"];
    const apply = async (call: ApiCall, measure: Measure) => {
      const channel = await existing(call);
      await moderation[kind](channel, call.params.user, measure);
      return { body: { channel, user: call.params.user, [kind]: measure } };
    };
    return [
      {
        method: "PUT",
        path,
        run: async (call) =>
          apply(call, measureOf(parse(schemas.measure, await call.body(), "body").seconds)),
      },
      { method: "DELETE", path, run: (call) => apply(call, { lifted: true }) },
    ];
  }

  return [
    {
      method: "GET",
      path: ["info"],
      async run() {
        const [instances, onlineUsers, channels] = await Promise.all([
          broker.instances(),
          broker.users.onlineCount(),
          broker.channels.count(),
        ]);
        return { body: { ...options.about(), instances, onlineUsers, channels } };
      },
    },
    {
      method: "POST",
      path: ["publish"],
      run: async (call) => ({
        body: await publish(parse(schemas.publish, await call.body(), "body")),
      }),
    },
    {
      method: "GET",
      path: ["channels"],
      async run(call) {
        const query = parse(schemas.channelsQuery, call.query, "query");
        const page = await broker.channels.search({
          prefix: query.prefix ?? "",
          ...(query.after === undefined ? {} : { after: query.after }),
          limit: query.limit ?? DEFAULT_PAGE_LIMIT,
        });
        return { body: page };
      },
    },
    {
      method: "POST",
      path: ["channels"],
      async run(call) {
        const { name, ...rest } = parse(schemas.createChannel, await call.body(), "body");
        // Not a name nobody holds (anonymous mode): whoever claimed it next would own the channel.
        const owner = rest.owner === undefined ? undefined : (await holder(rest.owner)).name;
        const info = {
          private: rest.private === true,
          ...(owner ? { owner: userKey(owner) } : {}),
        };
        if (!(await broker.channels.create(name, info))) {
          throw new ApiError("channel_exists", `Channel "${name}" exists already`);
        }
        // The owner is its first member, as a client creating a channel is.
        if (owner) await moderation.addMember(name, owner);
        return { status: 201, body: { name, ...info } };
      },
    },
    {
      method: "GET",
      path: ["channels", "{channel}"],
      async run(call) {
        const { channel } = call.params;
        const access = await broker.channels.access(channel, "");
        if (!access) throw channelNotFound(channel);
        const { members, online } = await broker.channels.onlineMembers(channel, 0);
        const owner = access.owner === undefined ? {} : { owner: access.owner };
        return { body: { name: channel, private: access.private, ...owner, members, online } };
      },
    },
    {
      method: "DELETE",
      path: ["channels", "{channel}"],
      async run(call) {
        const channel = await existing(call);
        if (channel === options.lobbyChannel) {
          throw new ApiError("not_permitted", `Channel "${channel}" is the lobby (LOBBY_CHANNEL)`);
        }
        await moderation.deleteChannel(channel);
        return { body: { channel, deleted: true } };
      },
    },
    {
      method: "GET",
      path: ["channels", "{channel}", "members"],
      async run(call) {
        const channel = await existing(call);
        const query = parse(schemas.pageQuery, call.query, "query");
        const page = await broker.channels.members(channel, {
          ...(query.after === undefined ? {} : { after: query.after }),
          limit: query.limit ?? DEFAULT_PAGE_LIMIT,
        });
        return { body: page };
      },
    },
    {
      method: "PUT",
      path: ["channels", "{channel}", "members", "{user}"],
      async run(call) {
        const channel = await existing(call);
        const { name, kind } = await holder(call.params.user);
        if (kind === "B") {
          throw new ApiError(
            "lobby_only",
            `User "${name}" uses a lobby-only client, which joins no channel but the lobby`,
          );
        }
        const access = await broker.channels.access(channel, userKey(name));
        if (access?.bannedUntil !== undefined) {
          throw new ApiError("banned", `User "${name}" is banned from channel "${channel}"`);
        }
        const added = await moderation.addMember(channel, name);
        return { body: { channel, user: name, added } };
      },
    },
    {
      method: "DELETE",
      path: ["channels", "{channel}", "members", "{user}"],
      async run(call) {
        const channel = await existing(call);
        const removed = await moderation.kick(channel, call.params.user);
        return { body: { channel, user: call.params.user, removed } };
      },
    },
    {
      method: "PUT",
      path: ["channels", "{channel}", "roles", "{user}"],
      async run(call) {
        const { role } = parse(schemas.role, await call.body(), "body");
        const channel = await existing(call);
        await moderation.setRole(channel, call.params.user, role);
        return { body: { channel, user: call.params.user, role } };
      },
    },
    ...measureRoutes("ban", "bans"),
    ...measureRoutes("mute", "mutes"),
    {
      method: "GET",
      path: ["channels", "{channel}", "messages"],
      async run(call) {
        const channel = await existing(call);
        const page = historyPage(parse(schemas.historyQuery, call.query, "query"));
        const envelopes = await broker.history.page(channelTopic(channel), page);
        return { body: { channel, messages: envelopes.map(({ message }) => message) } };
      },
    },
    {
      method: "GET",
      path: ["users"],
      async run(call) {
        const { after, limit = DEFAULT_PAGE_LIMIT } = parse(schemas.pageQuery, call.query, "query");
        const online = (await broker.users.online()).sort((a, b) =>
          byCodePoints(userKey(a), userKey(b))
        );
        const from = after === undefined
          ? online
          : online.filter((name) => byCodePoints(userKey(name), userKey(after)) > 0);
        const names = from.slice(0, limit);
        const users = await broker.users.presence(names);
        const next = from.length > limit ? { next: names.at(-1) } : {};
        return { body: { users, count: online.length, ...next } };
      },
    },
    {
      method: "GET",
      path: ["users", "{user}", "conversations", "{other}", "messages"],
      async run(call) {
        const [me, other] = [userKey(call.params.user), userKey(call.params.other)];
        const page = historyPage(parse(schemas.historyQuery, call.query, "query"));
        const envelopes = await broker.history.page(userTopic(me), {
          ...page,
          between: [me, other],
        });
        const messages = envelopes.map(({ message }) => message);
        return { body: { user: call.params.user, with: call.params.other, messages } };
      },
    },
    {
      method: "POST",
      path: ["users", "{user}", "disconnect"],
      async run(call) {
        const { reason, ban } = parse(schemas.disconnect, await call.body(), "body");
        const { user } = call.params;
        const measure = ban && measureOf(ban.seconds);
        // Barred first: a session opening meanwhile is refused, or hears the disconnect.
        if (measure) await broker.users.bar(user, measure);
        await moderation.disconnect(user, reason ?? DEFAULT_DISCONNECT_REASON);
        return { body: { user, disconnected: true, ...(measure ? { ban: measure } : {}) } };
      },
    },
    {
      method: "DELETE",
      path: ["users", "{user}", "ban"],
      async run(call) {
        await broker.users.bar(call.params.user, { lifted: true });
        return { body: { user: call.params.user, ban: { lifted: true } } };
      },
    },
  ];
}

/** A history query as the broker takes it. */
function historyPage(query: { before?: string; limit?: number }) {
  return {
    limit: query.limit ?? DEFAULT_HISTORY_LIMIT,
    ...(query.before === undefined ? {} : { before: query.before }),
  };
}
