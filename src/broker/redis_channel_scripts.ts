/**
 * The Lua scripts of the Redis broker's channel registry: a channel
 * registered once with its privacy and owner, and what one user may do with
 * it. What a channel grants a user (ownership, the moderator role, an
 * invitation) is indexed per user, with the holding of the name it was
 * given to, so that claiming a name ends an earlier holding's grants
 * without scanning every channel (`take_claim`). `docs/redis.md` lists the
 * keys.
 *
 * @module
 */
import { PRELUDE } from "./redis_scripts.ts";

/**
 * Records that a user is given something in a channel, for the holding of
 * the name now ('' while nobody holds it: then for the next holder). What an
 * earlier holding was given there ends first, or the new grant would carry
 * it on to the next holder.
 */
const GRANT = `
local function grant(key, channel)
  local holder = redis.call('HGET', claim_key(key), 'token') or ''
  local holding = redis.call('HGET', grants_key(key), channel)
  if holding and holding ~= '' and holding ~= holder then strip_grants(key, channel) end
  redis.call('HSET', grants_key(key), channel, holder)
end
`;

/** The keys of the users a channel grants something: its owner, moderators and invited users. */
const GRANTEES = `
local function grantees(channel)
  local keys = redis.call('HKEYS', prefix .. 'roles:' .. channel)
  for _, key in ipairs(redis.call('SMEMBERS', prefix .. 'invites:' .. channel)) do
    table.insert(keys, key)
  end
  local owner = redis.call('HGET', prefix .. 'channel:' .. channel, 'owner')
  if owner then table.insert(keys, owner) end
  return keys
end
`;

/**
 * Registers a channel with what is known of it, once: its privacy and owner.
 * ARGV: prefix, name, '1' if private, owner key (or ''). Returns 1 if new.
 */
export const CREATE_CHANNEL = PRELUDE + GRANT + `
local name, private, owner = ARGV[2], ARGV[3], ARGV[4]
if redis.call('SADD', prefix .. 'channels', name) == 0 then return 0 end
if private == '1' then
  redis.call('SADD', prefix .. 'private-channels', name)
  redis.call('HSET', prefix .. 'channel:' .. name, 'private', '1')
else
  redis.call('ZADD', prefix .. 'channel-index', 0, name)
end
if owner ~= '' then
  grant(owner, name)
  redis.call('HSET', prefix .. 'channel:' .. name, 'owner', owner)
end
return 1
`;

/**
 * A channel as one user may use it: {exists, private, owner, invited, role,
 * banned until, muted until}: '1' or '' for the flags, a user key or '' for
 * the owner, 'moderator' or '' for the role, ms ('0': for good) or '' for the
 * measures. ARGV: prefix, name, user key.
 */
export const CHANNEL_ACCESS = `
local prefix = ARGV[1]
local name, key = ARGV[2], ARGV[3]
if redis.call('SISMEMBER', prefix .. 'channels', name) == 0 then return {''} end
local info = redis.call('HMGET', prefix .. 'channel:' .. name, 'private', 'owner')
local invited = redis.call('SISMEMBER', prefix .. 'invites:' .. name, key)
local role = redis.call('HGET', prefix .. 'roles:' .. name, key)
local banned = redis.call('HGET', prefix .. 'bans:' .. name, key)
local muted = redis.call('HGET', prefix .. 'mutes:' .. name, key)
return {'1', info[1] or '', info[2] or '', invited == 1 and '1' or '', role or '', banned or '',
  muted or ''}
`;

/**
 * The channels a user holds an invitation to, found through the user's
 * grant index (no scan of every channel). ARGV: prefix, user key. Unsorted:
 * Lua orders strings by locale, the caller by code point.
 */
export const USER_INVITATIONS = PRELUDE + `
local key = ARGV[2]
local out = {}
for _, channel in ipairs(redis.call('HKEYS', grants_key(key))) do
  if redis.call('SISMEMBER', prefix .. 'invites:' .. channel, key) == 1 then
    table.insert(out, channel)
  end
end
return out
`;

/** Lets a user join a private channel. ARGV: prefix, channel, user key. */
export const INVITE_USER = PRELUDE + GRANT + `
local name, key = ARGV[2], ARGV[3]
grant(key, name)
return redis.call('SADD', prefix .. 'invites:' .. name, key)
`;

/**
 * Makes a user a moderator of a channel, or a member again. ARGV: prefix,
 * channel, user key, '1' for a moderator or '' for a member.
 */
export const SET_ROLE = PRELUDE + GRANT + `
local name, key = ARGV[2], ARGV[3]
local roles = prefix .. 'roles:' .. name
if ARGV[4] == '1' then
  grant(key, name)
  return redis.call('HSET', roles, key, 'moderator')
end
if redis.call('HDEL', roles, key) == 0 then return 0 end
-- Nothing left to end with the holding: the index keeps only standing grants.
if redis.call('HGET', prefix .. 'channel:' .. name, 'owner') ~= key
  and redis.call('SISMEMBER', prefix .. 'invites:' .. name, key) == 0 then
  redis.call('HDEL', grants_key(key), name)
end
return 1
`;

/**
 * Sets or lifts a user's mute in a channel. ARGV: prefix, channel, user key,
 * the mute's end in ms ('0': for good; '': lifts it).
 */
export const SET_MUTE = `
local prefix = ARGV[1]
local hash = prefix .. 'mutes:' .. ARGV[2]
if ARGV[4] == '' then return redis.call('HDEL', hash, ARGV[3]) end
return redis.call('HSET', hash, ARGV[3], ARGV[4])
`;

/**
 * Deletes a channel and all it holds, freeing its name: it leaves the grant
 * index of each user it granted something. ARGV: prefix, name. Returns the
 * keys of the users it was one of the channels of.
 */
export const DELETE_CHANNEL = PRELUDE + GRANTEES + `
local name = ARGV[2]
for _, key in ipairs(grantees(name)) do redis.call('HDEL', grants_key(key), name) end
local members = redis.call('SMEMBERS', prefix .. 'members:' .. name)
for _, key in ipairs(members) do
  redis.call('SREM', prefix .. 'memberships:' .. key, name)
  redis.call('HDEL', prefix .. 'read:' .. key, 'channel:' .. name)
end
redis.call('DEL', prefix .. 'count:channel:' .. name)
redis.call('SREM', prefix .. 'channels', name)
redis.call('SREM', prefix .. 'private-channels', name)
redis.call('ZREM', prefix .. 'channel-index', name)
for _, what in ipairs({'channel', 'invites', 'roles', 'bans', 'mutes', 'members', 'member-index'}) do
  redis.call('DEL', prefix .. what .. ':' .. name)
end
redis.call('DEL', prefix .. 'history:channel:' .. name)
return members
`;

/**
 * Bans a user from a channel and ends their membership of it, in one step;
 * or lifts the ban. ARGV: prefix, channel, user key, the ban's end in ms
 * ('0': for good; '': lifts it).
 */
export const BAN_USER = `
local prefix = ARGV[1]
local name, key, ends = ARGV[2], ARGV[3], ARGV[4]
if ends == '' then return redis.call('HDEL', prefix .. 'bans:' .. name, key) end
redis.call('HSET', prefix .. 'bans:' .. name, key, ends)
redis.call('SREM', prefix .. 'memberships:' .. key, name)
redis.call('SREM', prefix .. 'members:' .. name, key)
redis.call('ZREM', prefix .. 'member-index:' .. name, key)
return 1
`;

/**
 * Indexes once the grants of a deployment from before the grant index, each
 * for the holding of the name now, else for the last holder whose inbox is
 * remembered (`owner:<key>`: a JWT identity's token, so it keeps them), else
 * for the next holder, as every grant was before. ARGV: prefix. Returns 1
 * when it indexed, 0 when that was done before.
 */
export const BUILD_GRANT_INDEX = PRELUDE + GRANTEES + `
if not redis.call('SET', prefix .. 'grant-index-built', '1', 'NX') then return 0 end
for _, name in ipairs(redis.call('SMEMBERS', prefix .. 'channels')) do
  for _, key in ipairs(grantees(name)) do
    local holding = redis.call('HGET', claim_key(key), 'token') or redis.call('GET', owner_key(key))
    redis.call('HSETNX', grants_key(key), name, holding or '')
  end
end
return 1
`;
