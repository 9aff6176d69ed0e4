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
end
if owner ~= '' then redis.call('HSET', prefix .. 'channel:' .. name, 'owner', owner) end
return 1
`;

/**
 * A channel as one user may use it: {exists, private, owner, invited}, each
 * '1' or '' (owner: a user key or ''). ARGV: prefix, name, user key.
 */
export const CHANNEL_ACCESS = `
local prefix = ARGV[1]
local name, key = ARGV[2], ARGV[3]
if redis.call('SISMEMBER', prefix .. 'channels', name) == 0 then return {'', '', '', ''} end
local info = redis.call('HMGET', prefix .. 'channel:' .. name, 'private', 'owner')
local invited = redis.call('SISMEMBER', prefix .. 'invites:' .. name, key)
return {'1', info[1] or '', info[2] or '', invited == 1 and '1' or ''}
`;
