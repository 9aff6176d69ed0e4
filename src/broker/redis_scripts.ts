/**
 * The Lua scripts of the Redis broker's claims and sessions, and the
 * PRELUDE every script of the broker starts with (the message scripts are
 * in `redis_message_scripts.ts`). Each runs atomically in Redis, so a claim,
 * a presence refresh or a stamped publish is one step that no other
 * instance can interleave with. Every key is built from the prefix passed as
 * ARGV[1]; `docs/redis.md` lists them all.
 *
 * Time comes from Redis (`TIME`), so instances with skewed clocks still agree
 * on expiries and on message order.
 *
 * @module
 */

/** Shared helpers, prepended to every script that needs them. */
export const PRELUDE = `
local prefix = ARGV[1]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function claim_key(key) return prefix .. 'claim:' .. key end
local function sessions_key(key) return prefix .. 'sessions:' .. key end
local function token_key(hash) return prefix .. 'token:' .. hash end
local function owner_key(key) return prefix .. 'owner:' .. key end
local function seen_key(key) return prefix .. 'seen:' .. key end
local function memberships_key(key) return prefix .. 'memberships:' .. key end
local function profile_key(key) return prefix .. 'profile:' .. key end
local function grants_key(key) return prefix .. 'grants:' .. key end
local online_key = prefix .. 'online'

-- Takes from a user all a channel gave them: its ownership, the moderator role, an invitation.
local function strip_grants(key, channel)
  local info = prefix .. 'channel:' .. channel
  if redis.call('HGET', info, 'owner') == key then redis.call('HDEL', info, 'owner') end
  redis.call('HDEL', prefix .. 'roles:' .. channel, key)
  redis.call('SREM', prefix .. 'invites:' .. channel, key)
  redis.call('HDEL', grants_key(key), channel)
end

-- After an outage longer than the presence TTL nobody could refresh anyone: the
-- users online when it began get one more TTL for their instances to come back.
local function resume_presence(now, ttl)
  local beat = prefix .. 'presence-beat'
  local last = tonumber(redis.call('GET', beat) or now)
  redis.call('SET', beat, now)
  if now - last <= ttl then return end
  for _, name in ipairs(redis.call('ZRANGEBYSCORE', online_key, last, '+inf')) do
    redis.call('ZADD', online_key, now + ttl, name)
  end
end

-- Live sessions of a user, after dropping the expired ones.
local function live_sessions(key, now)
  redis.call('ZREMRANGEBYSCORE', sessions_key(key), '-inf', now)
  return redis.call('ZCARD', sessions_key(key))
end

-- Takes the free name for a holder, clearing what a dead holder left. A
-- holder's inbox is theirs alone: a different holder of the name starts empty.
-- What channels gave an earlier holding ends with it (a JWT identity's token is
-- the same at every claim, so it keeps its own); what they gave the name while
-- nobody held it is this holding's.
local function take_claim(key, name, kind, token, expiry, ttl, history_ttl, identified)
  local old = redis.call('HMGET', claim_key(key), 'name', 'token')
  if old[1] then redis.call('ZREM', online_key, old[1]) end
  if old[2] then redis.call('DEL', token_key(old[2])) end
  if not identified and redis.call('GET', owner_key(key)) ~= token then
    -- The old holder leaves its channels' member lists along with its channels.
    for _, channel in ipairs(redis.call('SMEMBERS', memberships_key(key))) do
      redis.call('SREM', prefix .. 'members:' .. channel, key)
      redis.call('ZREM', prefix .. 'member-index:' .. channel, key)
    end
    redis.call('DEL', prefix .. 'history:user:' .. key, seen_key(key), memberships_key(key),
      profile_key(key), prefix .. 'read:' .. key, prefix .. 'mentions:' .. key,
      prefix .. 'conversations:' .. key, prefix .. 'conversation-names:' .. key)
  end
  local grants = redis.call('HGETALL', grants_key(key))
  for i = 1, #grants, 2 do
    if grants[i + 1] == '' then
      redis.call('HSET', grants_key(key), grants[i], token)
    elseif grants[i + 1] ~= token then
      strip_grants(key, grants[i])
    end
  end
  redis.call('SET', owner_key(key), token, 'PX', history_ttl)
  redis.call('HSET', claim_key(key), 'name', name, 'kind', kind, 'token', token, 'anonymous',
    identified and '' or '1')
  redis.call('SET', token_key(token), key)
  redis.call('ZADD', online_key, expiry, name)
end

-- Pushes every expiry of a live user forward: the sessions by the presence
-- TTL, the hold on the name by that and the reconnect grace after it, and
-- what goes with the inbox (its owner, the user's channels) by the history TTL.
local function refresh(key, name, token, expiry, ttl, grace, history_ttl)
  redis.call('ZADD', online_key, 'GT', expiry, name)
  redis.call('PEXPIRE', claim_key(key), ttl + grace)
  redis.call('PEXPIRE', sessions_key(key), ttl)
  redis.call('PEXPIRE', token_key(token), ttl + grace)
  redis.call('PEXPIRE', owner_key(key), history_ttl)
  redis.call('PEXPIRE', memberships_key(key), history_ttl)
  redis.call('PEXPIRE', profile_key(key), history_ttl)
end
`;

/**
 * Opens a session. ARGV: prefix, name ('' to go by token), its user key
 * (`userKey`, computed by the caller: Lua's string.lower knows only ASCII),
 * presented token hash (or ''), fresh token hash, session id, kind, ttl ms,
 * history ttl ms, most sessions per user, '1' to join a live user of the
 * same kind whatever the token (SHARED_USERNAMES), reconnect grace ms, '1'
 * when the name is a verified identity whose inbox is kept (JWT).
 * A name is held while its user has a live session or is within the grace.
 * Returns {status, name, kind, tokenHash, '1' if this is the user's only
 * live session, the stream id of the inbox's newest entry when the user's
 * sessions last ended (or '')}.
 */
export const OPEN_SESSION = PRELUDE + `
local name, key, presented, fresh, session = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local kind, ttl, history_ttl = ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9])
local max_sessions = tonumber(ARGV[10])
local shared = ARGV[11] == '1' and name ~= ''
local grace, identified = tonumber(ARGV[12]), ARGV[13] == '1'
local now = now_ms()
local expiry = now + ttl
if name == '' then
  key = redis.call('GET', token_key(presented))
  if not key then return {'unknown_token'} end
end
local live = live_sessions(key, now)
local held = redis.call('HMGET', claim_key(key), 'name', 'kind', 'token')
if held[1] then
  if (held[3] ~= presented and not shared) or held[2] ~= kind then return {'taken'} end
  if live >= max_sessions then return {'too_many_sessions'} end
  redis.call('ZADD', sessions_key(key), expiry, session)
  refresh(key, held[1], held[3], expiry, ttl, grace, history_ttl)
  if live > 0 then return {'joined', held[1], held[2], held[3], '', ''} end
  return {'joined', held[1], held[2], held[3], '1', redis.call('GET', seen_key(key)) or ''}
end
if name == '' then return {'unknown_token'} end
take_claim(key, name, kind, fresh, expiry, ttl, history_ttl, identified)
redis.call('ZADD', sessions_key(key), expiry, session)
refresh(key, name, fresh, expiry, ttl, grace, history_ttl)
return {'claimed', name, kind, fresh, '1', redis.call('GET', seen_key(key)) or ''}
`;

/**
 * Ends a session. With the user's last live session the user goes offline,
 * remembers the newest entry of their inbox as seen, and keeps the name and
 * token for the reconnect grace (released at once when it is 0, or for a
 * kind-B user, who has no token to come back with), and is last seen now.
 * ARGV: prefix, user key, session id, reconnect grace ms, history ttl ms.
 * Returns 1 when this ended the user's last live session, else 0.
 */
export const CLOSE_SESSION = PRELUDE + `
local key, grace, history_ttl = ARGV[2], tonumber(ARGV[4]), tonumber(ARGV[5])
local now = now_ms()
local went_offline = 0
redis.call('ZREM', sessions_key(key), ARGV[3])
if live_sessions(key, now) == 0 then
  local held = redis.call('HMGET', claim_key(key), 'name', 'token', 'kind', 'anonymous')
  if held[1] then
    went_offline = redis.call('ZREM', online_key, held[1])
    redis.call('HSET', profile_key(key), 'name', held[1], 'seen', now)
    -- An anonymous user's channels and profile last as long as the hold on the name.
    local keep = history_ttl
    if held[4] == '1' then keep = held[3] == 'A' and grace or 1 end
    redis.call('PEXPIRE', profile_key(key), keep)
    redis.call('PEXPIRE', memberships_key(key), keep)
    local newest = redis.call('XREVRANGE', prefix .. 'history:user:' .. key, '+', '-', 'COUNT', 1)
    if newest[1] then redis.call('SET', seen_key(key), newest[1][1], 'PX', history_ttl) end
    -- A lobby (kind-B) client has no token to come back with: its name is free at once.
    if grace > 0 and held[3] == 'A' then
      redis.call('PEXPIRE', claim_key(key), grace)
      redis.call('PEXPIRE', token_key(held[2]), grace)
    else
      redis.call('DEL', claim_key(key), token_key(held[2]))
    end
  end
  redis.call('DEL', sessions_key(key))
end
return went_offline
`;

/**
 * Refreshes this instance's sessions. ARGV: prefix, ttl ms, reconnect grace
 * ms, history ttl ms, then one (key, name, token hash, session id) quadruple
 * per local session. Returns the user keys whose session was no longer there
 * (to be restored).
 */
export const HEARTBEAT = PRELUDE + `
local ttl, grace, history_ttl = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms()
resume_presence(now, ttl)
local expiry = now + ttl
local missing = {}
for i = 5, #ARGV, 4 do
  local key, name, token, session = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if redis.call('ZSCORE', sessions_key(key), session) then
    redis.call('ZADD', sessions_key(key), 'XX', expiry, session)
    refresh(key, name, token, expiry, ttl, grace, history_ttl)
  else
    table.insert(missing, key)
  end
end
return missing
`;

/**
 * Puts a user's local sessions back after Redis lost them (restart, expiry
 * during a partition). ARGV: prefix, ttl ms, history ttl ms, reconnect grace
 * ms, user key, name, kind, token hash, '1' for a verified identity (JWT),
 * then session ids. Returns 1, or 0
 * when someone else now holds the name.
 */
export const RESTORE_USER = PRELUDE + `
local ttl, history_ttl, grace = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local key, name, kind, token, identified = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9] == '1'
local now = now_ms()
local expiry = now + ttl
local held = redis.call('HMGET', claim_key(key), 'kind', 'token')
if held[2] then
  if held[2] ~= token or held[1] ~= kind then return 0 end
else
  take_claim(key, name, kind, token, expiry, ttl, history_ttl, identified)
end
for i = 10, #ARGV do redis.call('ZADD', sessions_key(key), expiry, ARGV[i]) end
refresh(key, name, token, expiry, ttl, grace, history_ttl)
return 1
`;
