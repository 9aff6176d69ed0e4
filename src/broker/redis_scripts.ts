/**
 * The Lua scripts of the Redis broker. Each runs atomically in Redis, so a
 * claim, a presence refresh or a stamped publish is one step that no other
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
      profile_key(key))
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

/** Helpers for history streams, whose entry ids are message ids without the sequence padding. */
const STREAMS = `
local function stream_key(topic) return prefix .. 'history:' .. topic end
local function parse_id(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function id_less(a, b)
  local ams, aseq = parse_id(a)
  local bms, bseq = parse_id(b)
  return ams < bms or (ams == bms and aseq < bseq)
end
`;

/**
 * Stamps a message with an id from Redis's clock, stores it in the history
 * stream of every topic and publishes it there, in one step: the order of
 * ids is the order of storage and of delivery on every instance. With a
 * dedup key already seen within the window, returns the first message
 * instead and does nothing else. The dedup key is set last, so that a
 * failing step can never leave a key for a message that was not stored.
 * A direct message's sending session is added to the published copies
 * only: the streams and the dedup key keep the message without it.
 * ARGV: prefix, the message as a JSON object without id and ts, dedup key
 * (or ''), dedup window ms, history limit, history ttl ms, sender key and
 * recipient key of a direct message (or ''), the sending session as a JSON
 * string (or ''), the channel of a channel message and its author's key (or
 * ''), then the topics. An author muted in that channel publishes nothing.
 * Returns {message JSON as stored, 1 if duplicate else 0}, or {the end of
 * the mute in ms ('0': for good), 2}.
 */
export const PUBLISH_MESSAGE = PRELUDE + STREAMS + `
local body, dedup = ARGV[2], ARGV[3]
local window, limit, ttl = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local from_key, to_key, session = ARGV[7], ARGV[8], ARGV[9]
local muting_channel, author = ARGV[10], ARGV[11]
local dedup_key = prefix .. 'dedup:' .. dedup
if dedup ~= '' then
  local earlier = redis.call('GET', dedup_key)
  if earlier then return {earlier, 1} end
end
if muting_channel ~= '' then
  local muted = redis.call('HGET', prefix .. 'mutes:' .. muting_channel, author)
  if muted and (muted == '0' or tonumber(muted) > now_ms()) then return {muted, 2} end
end
local clock = prefix .. 'clock'
local ms = now_ms()
local last = redis.call('HMGET', clock, 'ms', 'seq')
local seq = 0
if last[1] and ms <= tonumber(last[1]) then
  ms = tonumber(last[1])
  seq = tonumber(last[2]) + 1
  if seq > 999999 then
    ms = ms + 1
    seq = 0
  end
end
redis.call('HSET', clock, 'ms', ms, 'seq', seq)
local id = string.format('%013d-%06d', ms, seq)
local message = '{"id":"' .. id .. '","ts":' .. string.format('%d', ms) .. ',' .. string.sub(body, 2)
-- The session arrives JSON-encoded, so splicing it before the closing brace is safe for any id.
local published = message
if session ~= '' then
  published = string.sub(message, 1, -2) .. ',"senderSession":' .. session .. '}'
end
local entry = string.format('%d-%d', ms, seq)
-- The first id this Redis ever stored: a resume from before it lost its history.
redis.call('SET', prefix .. 'epoch', entry, 'NX')
local oldest = string.format('%d-0', ms - ttl)
for i = 12, #ARGV do
  local stream = stream_key(ARGV[i])
  if from_key ~= '' then
    redis.call('XADD', stream, 'MAXLEN', limit, entry, 'm', message, 'f', from_key, 't', to_key)
  else
    redis.call('XADD', stream, 'MAXLEN', limit, entry, 'm', message)
  end
  redis.call('XTRIM', stream, 'MINID', oldest)
  redis.call('PEXPIRE', stream, ttl)
  redis.call('PUBLISH', prefix .. ARGV[i], published)
end
if dedup ~= '' then redis.call('SET', dedup_key, message, 'PX', window) end
return {message, 0}
`;

/**
 * Marks where this Redis's data begins, if nothing marked it yet (a Redis
 * that restarted without persistence): a resume from before it was
 * truncated. ARGV: prefix.
 */
export const MARK_EPOCH = PRELUDE + `
redis.call('SET', prefix .. 'epoch', string.format('%d-0', now_ms()), 'NX')
return 1
`;

/** The message first published with a dedup key, or nil. ARGV: prefix, dedup key. */
export const RECALL_MESSAGE = PRELUDE + `
return redis.call('GET', prefix .. 'dedup:' .. ARGV[2])
`;

/**
 * A page of a topic's history, newest first. ARGV: prefix, topic, before
 * (stream id, or '' for the newest), limit, then optionally two user keys:
 * only direct messages between them count (read from the entries' `f` and
 * `t` fields, never by decoding the message). Returns message JSONs.
 */
export const HISTORY_PAGE = PRELUDE + STREAMS + `
local stream = stream_key(ARGV[2])
local before, limit, one, other = ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6]
if before == '0-0' then return {} end
local function wanted(fields)
  if not one or one == '' then return true end
  local from, to
  for i = 1, #fields, 2 do
    if fields[i] == 'f' then from = fields[i + 1] elseif fields[i] == 't' then to = fields[i + 1] end
  end
  return (from == one and to == other) or (from == other and to == one)
end
local upper = before == '' and '+' or ('(' .. before)
local found = {}
while #found < limit do
  local batch = redis.call('XREVRANGE', stream, upper, '-', 'COUNT', 100)
  if #batch == 0 then break end
  for _, entry in ipairs(batch) do
    if wanted(entry[2]) then
      table.insert(found, entry[2][2])
      if #found == limit then break end
    end
  end
  upper = '(' .. batch[#batch][1]
end
return found
`;

/**
 * Every retained message of a topic after a stream id, oldest first, and
 * whether some were dropped (by limit, age, or a Redis that lost its data)
 * that may have come after it.
 * ARGV: prefix, topic, after (stream id), history ttl ms.
 * Returns {1 or 0 truncated, message JSONs...}.
 */
export const HISTORY_SINCE = PRELUDE + STREAMS + `
local stream = stream_key(ARGV[2])
local after, ttl = ARGV[3], tonumber(ARGV[4])
-- A since from before this Redis's first stored message: its history was lost (restart without persistence).
local epoch = redis.call('GET', prefix .. 'epoch')
local before_epoch = after ~= '0-0' and epoch and id_less(after, epoch)
if redis.call('EXISTS', stream) == 0 then
  -- No stream: it expired or never existed; an id older than the ttl may have lost messages.
  local after_ms = parse_id(after)
  return {(before_epoch or now_ms() - ttl > after_ms) and 1 or 0}
end
local info = redis.call('XINFO', 'STREAM', stream)
local fields = {}
for i = 1, #info, 2 do fields[info[i]] = info[i + 1] end
local truncated = before_epoch and 1 or 0
if tonumber(fields['entries-added']) > tonumber(fields['length']) then
  local first = fields['length'] > 0 and fields['first-entry'][1] or fields['last-generated-id']
  if id_less(after, first) then truncated = 1 end
end
local out = {truncated}
local start = after == '0-0' and '-' or ('(' .. after)
for _, entry in ipairs(redis.call('XRANGE', stream, start, '+')) do
  table.insert(out, entry[2][2])
end
return out
`;
