/**
 * The Lua scripts of the Redis broker's channel registry: a channel
 * registered once with its privacy and owner, and what one user may do with
 * it. `docs/redis.md` lists the keys.
 *
 * @module
 */

/**
 * Registers a channel with what is known of it, once: its privacy and owner.
 * ARGV: prefix, name, '1' if private, owner key (or ''). Returns 1 if new.
 */
export const CREATE_CHANNEL = `
local prefix = ARGV[1]
local name, private, owner = ARGV[2], ARGV[3], ARGV[4]
if redis.call('SADD', prefix .. 'channels', name) == 0 then return 0 end
if private == '1' then
  redis.call('SADD', prefix .. 'private-channels', name)
  redis.call('HSET', prefix .. 'channel:' .. name, 'private', '1')
else
  redis.call('ZADD', prefix .. 'channel-index', 0, name)
end
if owner ~= '' then redis.call('HSET', prefix .. 'channel:' .. name, 'owner', owner) end
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
 * Sets or lifts a user's role or mute in a channel. ARGV: prefix, what
 * ('roles' or 'mutes'), channel, user key, value ('' lifts it).
 */
export const SET_CHANNEL_FIELD = `
local prefix = ARGV[1]
local hash = prefix .. ARGV[2] .. ':' .. ARGV[3]
if ARGV[5] == '' then return redis.call('HDEL', hash, ARGV[4]) end
return redis.call('HSET', hash, ARGV[4], ARGV[5])
`;

/**
 * Deletes a channel and all it holds, freeing its name. ARGV: prefix, name.
 * Returns the keys of the users it was one of the channels of.
 */
export const DELETE_CHANNEL = `
local prefix = ARGV[1]
local name = ARGV[2]
local members = redis.call('SMEMBERS', prefix .. 'members:' .. name)
for _, key in ipairs(members) do redis.call('SREM', prefix .. 'memberships:' .. key, name) end
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
