/**
 * The Lua scripts of the Redis broker's event queue (see `event_queue.ts`)
 * and of the instance census. The queue is one sorted set of event ids by
 * the time each is due (a claimed event's is the end of its lease) and one
 * hash per event; each step is one script, so two instances never claim the
 * same event, and a `done` or `retry` of a claim that was replaced since
 * does nothing. Time is Redis's own, as everywhere in the broker.
 *
 * @module
 */
import { PRELUDE } from "./redis_scripts.ts";

/** The queue's keys. */
const QUEUE = `
local queue = prefix .. 'webhooks:due'
local function event_key(id) return prefix .. 'webhooks:event:' .. id end
`;

/**
 * Queues an event, replacing one with the same id; one waiting expedited
 * (its check dropped: a previous holding's offline, due as it is) moves to
 * an id of its own instead, to be sent still. ARGV: prefix, id, body,
 * check, delay ms.
 */
export const QUEUE_ADD = PRELUDE + QUEUE + `
local id = ARGV[2]
local now = now_ms()
local previous = redis.call('HMGET', event_key(id), 'expedited', 'claim')
local due = redis.call('ZSCORE', queue, id)
if previous[1] == '1' and due and (previous[2] == '' or tonumber(due) <= now) then
  local moved = id .. '#' .. redis.call('INCR', prefix .. 'webhooks:claims')
  redis.call('RENAME', event_key(id), event_key(moved))
  redis.call('HSET', event_key(moved), 'claim', '')
  redis.call('ZREM', queue, id)
  redis.call('ZADD', queue, due, moved)
end
redis.call('DEL', event_key(id))
redis.call('HSET', event_key(id), 'body', ARGV[3], 'check', ARGV[4], 'attempts', 0, 'claim', '')
redis.call('ZADD', queue, now + tonumber(ARGV[5]), id)
`;

/**
 * Drops a waiting event's check and makes it due now; one under a live
 * lease stays its claimer's (only its check goes). ARGV: prefix, id.
 * Returns 1 if one waited.
 */
export const QUEUE_EXPEDITE = PRELUDE + QUEUE + `
local id = ARGV[2]
if redis.call('EXISTS', event_key(id)) == 0 then return 0 end
local now = now_ms()
redis.call('HSET', event_key(id), 'check', '', 'expedited', '1')
if redis.call('HGET', event_key(id), 'claim') ~= '' and tonumber(redis.call('ZSCORE', queue, id)) > now then
  return 1
end
redis.call('HSET', event_key(id), 'claim', '')
redis.call('ZADD', queue, now, id)
return 1
`;

/**
 * Claims due events for a lease. ARGV: prefix, limit, lease ms. Returns
 * id, body, check, attempts, claim for each, flat.
 */
export const QUEUE_CLAIM = PRELUDE + QUEUE + `
local now = now_ms()
local claimed = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', queue, '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))) do
  local event = redis.call('HMGET', event_key(id), 'body', 'check', 'attempts')
  if event[1] then
    local claim = tostring(redis.call('INCR', prefix .. 'webhooks:claims'))
    redis.call('HSET', event_key(id), 'claim', claim)
    redis.call('ZADD', queue, now + tonumber(ARGV[3]), id)
    for _, field in ipairs({id, event[1], event[2], event[3], claim}) do
      table.insert(claimed, field)
    end
  else
    redis.call('ZREM', queue, id)
  end
end
return claimed
`;

/** Removes an event sent under its latest claim. ARGV: prefix, id, claim. */
export const QUEUE_DONE = PRELUDE + QUEUE + `
local id = ARGV[2]
if redis.call('HGET', event_key(id), 'claim') ~= ARGV[3] then return 0 end
redis.call('DEL', event_key(id))
redis.call('ZREM', queue, id)
return 1
`;

/**
 * Removes an event claimed under its latest claim unsent, its check having
 * failed; expedited since (its check dropped), it is due now instead.
 * ARGV: prefix, id, claim.
 */
export const QUEUE_DISMISS = PRELUDE + QUEUE + `
local id = ARGV[2]
local event = redis.call('HMGET', event_key(id), 'claim', 'check')
if event[1] ~= ARGV[3] then return 0 end
if event[2] == '' then
  redis.call('HSET', event_key(id), 'claim', '')
  redis.call('ZADD', queue, now_ms(), id)
  return 2
end
redis.call('DEL', event_key(id))
redis.call('ZREM', queue, id)
return 1
`;

/**
 * Makes an event claimed under its latest claim due again. ARGV: prefix, id,
 * claim, delay ms, '1' to count a failed attempt.
 */
export const QUEUE_RETRY = PRELUDE + QUEUE + `
local id = ARGV[2]
if redis.call('HGET', event_key(id), 'claim') ~= ARGV[3] then return 0 end
redis.call('HSET', event_key(id), 'claim', '')
if ARGV[5] == '1' then redis.call('HINCRBY', event_key(id), 'attempts', 1) end
redis.call('ZADD', queue, now_ms() + tonumber(ARGV[4]), id)
return 1
`;

/** How many events wait. ARGV: prefix. */
export const QUEUE_SIZE = PRELUDE + QUEUE + `
return redis.call('ZCARD', queue)
`;

/**
 * Notes that an instance is alive for a TTL, forgets those past theirs, and
 * returns how many are alive. ARGV: prefix, instance id, ttl ms ('0' to
 * remove the instance: it is closing).
 */
export const INSTANCE_BEAT = PRELUDE + `
local instances = prefix .. 'instances'
local now = now_ms()
if ARGV[3] == '0' then redis.call('ZREM', instances, ARGV[2])
else redis.call('ZADD', instances, now + tonumber(ARGV[3]), ARGV[2]) end
redis.call('ZREMRANGEBYSCORE', instances, '-inf', now)
return redis.call('ZCARD', instances)
`;
