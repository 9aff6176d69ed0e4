/**
 * The Lua scripts of the Redis broker's presence: who is online, users'
 * channels and the members of each channel, profiles (status, custom text,
 * last seen), and the index of public channels for discovery.
 * `docs/redis.md` lists the keys.
 *
 * @module
 */
import { PRELUDE } from "./redis_scripts.ts";

/** Members, profiles and the public-channel index. */
const MEMBERS = `
local function members_key(channel) return prefix .. 'members:' .. channel end
-- The same keys in a sorted set (score 0), paged in byte order by ZRANGEBYLEX:
-- never by Lua's string order, which follows the server's locale.
local function member_index(channel) return prefix .. 'member-index:' .. channel end
local function ensure_member_index(channel)
  if redis.call('EXISTS', member_index(channel)) == 1 then return end
  for _, key in ipairs(redis.call('SMEMBERS', members_key(channel))) do
    redis.call('ZADD', member_index(channel), 0, key)
  end
end
-- Whether the user still has the channel; one whose channels expired with an
-- anonymous hold on the name is dropped from the channel's lists.
local function still_member(key, channel)
  if redis.call('SISMEMBER', memberships_key(key), channel) == 1 then return true end
  redis.call('SREM', members_key(channel), key)
  redis.call('ZREM', member_index(channel), key)
  return false
end
-- The channel's members in key order, after a key ('' for the start), at most limit.
local function members_after(channel, after, limit)
  ensure_member_index(channel)
  local found = {}
  local from = after == '' and '-' or ('(' .. after)
  while #found < limit do
    local batch = redis.call('ZRANGEBYLEX', member_index(channel), from, '+', 'LIMIT', 0, 100)
    if #batch == 0 then break end
    for _, key in ipairs(batch) do
      if #found < limit and still_member(key, channel) then table.insert(found, key) end
    end
    from = '(' .. batch[#batch]
  end
  return found
end
local function is_online(key, now)
  return redis.call('ZCOUNT', sessions_key(key), now, '+inf') > 0
end
-- {name, '1' if online, status, text, last seen ms} of one user.
local function presence_of(key, now)
  local p = redis.call('HMGET', profile_key(key), 'name', 'status', 'text', 'seen')
  local name = p[1] or redis.call('HGET', claim_key(key), 'name') or key
  local online = is_online(key, now)
  return {name, online and '1' or '', p[2] or 'online', p[3] or '', online and '' or (p[4] or '')}
end
local index = prefix .. 'channel-index'
-- The public channels by name, for prefix search; built once from the channel sets.
local function ensure_index()
  if redis.call('SET', prefix .. 'channel-index-built', '1', 'NX') then
    for _, name in ipairs(redis.call('SDIFF', prefix .. 'channels', prefix .. 'private-channels')) do
      redis.call('ZADD', index, 0, name)
    end
  end
end
`;

/**
 * The user whose key is ARGV[2], if the name is held (live, or within the
 * grace): {name, kind, '1' if online else ''}, or nil. ARGV: prefix, user key.
 */
export const LOOKUP_USER = PRELUDE + `
local key = ARGV[2]
local held = redis.call('HMGET', claim_key(key), 'name', 'kind')
if not held[1] then return nil end
if live_sessions(key, now_ms()) > 0 then return {held[1], held[2], '1'} end
return {held[1], held[2], ''}
`;

/** The channels of the user whose key is ARGV[2]. ARGV: prefix, user key. */
export const USER_MEMBERSHIPS = PRELUDE + `
return redis.call('SMEMBERS', memberships_key(ARGV[2]))
`;

/**
 * Makes a channel one of a user's, or not, kept as long as the user's inbox.
 * ARGV: prefix, user key, channel, '1' to add or '' to remove, history ttl
 * ms, the user's name. Returns 1 when that changed the user's channels, else 0.
 */
export const SET_MEMBERSHIP = PRELUDE + MEMBERS + `
local key, channel, history_ttl = ARGV[2], ARGV[3], tonumber(ARGV[5])
local changed
if ARGV[4] == '1' then
  changed = redis.call('SADD', memberships_key(key), channel)
  ensure_member_index(channel)
  redis.call('SADD', members_key(channel), key)
  redis.call('ZADD', member_index(channel), 0, key)
  redis.call('HSET', profile_key(key), 'name', ARGV[6])
  redis.call('PEXPIRE', profile_key(key), history_ttl)
  -- A new member has read the channel as it is: only what comes next is unread.
  if changed == 1 then
    local newest = redis.call('XREVRANGE', prefix .. 'history:channel:' .. channel, '+', '-',
      'COUNT', 1)[1]
    local count = redis.call('HGET', prefix .. 'count:channel:' .. channel, 'n') or '0'
    redis.call('HSETNX', prefix .. 'read:' .. key, 'channel:' .. channel,
      (newest and newest[1] or '') .. ' ' .. count)
    redis.call('PEXPIRE', prefix .. 'read:' .. key, history_ttl)
  end
else
  changed = redis.call('SREM', memberships_key(key), channel)
  forget_reading(key, channel)
  redis.call('SREM', members_key(channel), key)
  redis.call('ZREM', member_index(channel), key)
end
if changed == 1 then redis.call('PEXPIRE', memberships_key(key), history_ttl) end
return changed
`;

/**
 * Bars a user from opening sessions until a time, for good, or lifts it.
 * ARGV: prefix, user key, end ms ('0' for good, '' to lift).
 */
export const BAR_USER = PRELUDE + `
local bar = prefix .. 'bar:' .. ARGV[2]
if ARGV[3] == '' then return redis.call('DEL', bar) end
redis.call('SET', bar, ARGV[3])
if ARGV[3] ~= '0' then redis.call('PEXPIREAT', bar, tonumber(ARGV[3])) end
`;

/** Until when a user is barred ('0': for good), or nil. ARGV: prefix, user key. */
export const BARRED_UNTIL = PRELUDE + `
return redis.call('GET', prefix .. 'bar:' .. ARGV[2])
`;

/** Names of users with a live session. ARGV: prefix, ttl ms. */
export const ONLINE_USERS = PRELUDE + `
local now = now_ms()
resume_presence(now, tonumber(ARGV[2]))
return redis.call('ZRANGEBYSCORE', online_key, now, '+inf')
`;

/** How many users have a live session. ARGV: prefix, ttl ms. */
export const ONLINE_COUNT = PRELUDE + `
local now = now_ms()
resume_presence(now, tonumber(ARGV[2]))
return redis.call('ZCOUNT', online_key, now, '+inf')
`;

/**
 * Takes the users whose presence expired (their instance died without
 * closing their sessions) off the online set, so exactly one caller gets
 * each. ARGV: prefix, ttl ms. Returns {name, expiry ms, ...}.
 */
export const EXPIRE_USERS = PRELUDE + `
local now = now_ms()
resume_presence(now, tonumber(ARGV[2]))
local expired = redis.call('ZRANGEBYSCORE', online_key, '-inf', '(' .. now, 'WITHSCORES')
for i = 1, #expired, 2 do redis.call('ZREM', online_key, expired[i]) end
return expired
`;

/**
 * Records when a user whose presence expired was last seen, unless a
 * session of theirs is live again. ARGV: prefix, user key, name, ms, history ttl ms.
 */
export const MARK_SEEN = PRELUDE + MEMBERS + `
local key = ARGV[2]
if is_online(key, now_ms()) then return 0 end
redis.call('HSET', profile_key(key), 'name', ARGV[3], 'seen', ARGV[4])
redis.call('PEXPIRE', profile_key(key), tonumber(ARGV[5]))
return 1
`;

/**
 * Sets a user's status and custom text. ARGV: prefix, user key, name,
 * status, text ('' for none), history ttl ms.
 */
export const SET_STATUS = PRELUDE + `
local key = ARGV[2]
redis.call('HSET', profile_key(key), 'name', ARGV[3], 'status', ARGV[4])
if ARGV[5] == '' then
  redis.call('HDEL', profile_key(key), 'text')
else
  redis.call('HSET', profile_key(key), 'text', ARGV[5])
end
redis.call('PEXPIRE', profile_key(key), tonumber(ARGV[6]))
return 1
`;

/**
 * What others see of users. ARGV: prefix, then (key, name) pairs. Returns
 * five fields per user (see presence_of), the name given where none is kept.
 */
export const USER_PRESENCE = PRELUDE + MEMBERS + `
local now = now_ms()
local out = {}
for i = 2, #ARGV, 2 do
  local found = presence_of(ARGV[i], now)
  if found[1] == ARGV[i] then found[1] = ARGV[i + 1] end
  for _, field in ipairs(found) do table.insert(out, field) end
end
return out
`;

/**
 * A page of a channel's members in key order (bytes). ARGV: prefix,
 * channel, after (a key, or ''), limit. Returns {count, next key or '',
 * then six fields per member: five (see presence_of) and the role, 'owner',
 * 'moderator' or ''}; the count may include members whose channels expired,
 * until a page or a count reads past them. Roles are read as CHANNEL_ACCESS
 * reads them: the owner from the channel's hash, moderators from its roles.
 */
export const MEMBERS_PAGE = PRELUDE + MEMBERS + `
local channel, after, limit = ARGV[2], ARGV[3], tonumber(ARGV[4])
local keys = members_after(channel, after, limit + 1)
local now = now_ms()
local out = {redis.call('ZCARD', member_index(channel)), ''}
local count = math.min(#keys, limit)
if count > 0 then
  local owner = redis.call('HGET', prefix .. 'channel:' .. channel, 'owner')
  local roles = redis.call('HMGET', prefix .. 'roles:' .. channel, unpack(keys, 1, count))
  for i = 1, count do
    for _, field in ipairs(presence_of(keys[i], now)) do table.insert(out, field) end
    table.insert(out, keys[i] == owner and 'owner' or (roles[i] or ''))
  end
end
if #keys > limit then out[2] = keys[limit] end
return out
`;

/**
 * Who of a channel's members is online. ARGV: prefix, channel, most names.
 * Returns {members, online, names...}.
 */
export const ONLINE_MEMBERS = PRELUDE + MEMBERS + `
local limit = tonumber(ARGV[3])
local keys = members_after(ARGV[2], '', math.huge)
local now = now_ms()
local out = {#keys, 0}
for _, key in ipairs(keys) do
  if is_online(key, now) then
    out[2] = out[2] + 1
    if out[2] <= limit then table.insert(out, presence_of(key, now)[1]) end
  end
end
return out
`;

/** How many members each channel has. ARGV: prefix, then channels. */
export const MEMBER_COUNTS = PRELUDE + MEMBERS + `
local out = {}
for i = 2, #ARGV do table.insert(out, redis.call('SCARD', members_key(ARGV[i]))) end
return out
`;

/**
 * Public channels whose name starts with a prefix, in code-point order.
 * ARGV: prefix, name prefix, after (a name, or ''), limit. Returns {next
 * name or '', then (name, members) pairs}.
 */
export const CHANNEL_SEARCH = PRELUDE + MEMBERS + `
local start_with, after, limit = ARGV[2], ARGV[3], tonumber(ARGV[4])
ensure_index()
local from = '[' .. start_with
if after ~= '' and after >= start_with then from = '(' .. after end
-- No UTF-8 text holds the byte 255: every name with the prefix sorts before it.
local names = redis.call('ZRANGEBYLEX', index, from, '[' .. start_with .. '\\255', 'LIMIT', 0, limit + 1)
local out = {''}
for i = 1, math.min(#names, limit) do
  table.insert(out, names[i])
  table.insert(out, redis.call('SCARD', members_key(names[i])))
end
if #names > limit then out[1] = names[limit] end
return out
`;

/** How many public channels there are. ARGV: prefix. */
export const CHANNEL_COUNT = PRELUDE + MEMBERS + `
ensure_index()
return redis.call('ZCARD', index)
`;
