/**
 * The Redis broker's Lua scripts for messages: stamping, storing and
 * publishing one atomically, the dedup window, and reading history streams
 * (pages, and everything after an id for a resume).
 *
 * @module
 */
import { PRELUDE } from "./redis_scripts.ts";

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
 * ''), the stream id of the message it replies to and the topic where
 * that must be kept (or '' twice), then the topics. An author muted in that
 * channel publishes nothing, nor does a reply whose target is not kept
 * there (for a direct message, one between the same two users). Returns {message JSON as stored, 1 if
 * duplicate else 0}, {the end of the mute in ms ('0': for good), 2}, or
 * {'', 3} for a reply to no kept message.
 */
export const PUBLISH_MESSAGE = PRELUDE + STREAMS + `
local body, dedup = ARGV[2], ARGV[3]
local window, limit, ttl = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local from_key, to_key, session = ARGV[7], ARGV[8], ARGV[9]
local muting_channel, author, reply_to, reply_topic = ARGV[10], ARGV[11], ARGV[12], ARGV[13]
local dedup_key = prefix .. 'dedup:' .. dedup
if dedup ~= '' then
  local earlier = redis.call('GET', dedup_key)
  if earlier then return {earlier, 1} end
end
if muting_channel ~= '' then
  local muted = redis.call('HGET', prefix .. 'mutes:' .. muting_channel, author)
  if muted and (muted == '0' or tonumber(muted) > now_ms()) then return {muted, 2} end
end
if reply_to ~= '' then
  local target = redis.call('XRANGE', stream_key(reply_topic), reply_to, reply_to)[1]
  if not target then return {'', 3} end
  local fields = target[2]
  -- A direct message's entry is m, message, f, from key, t, to key: the same pair, either way.
  if from_key ~= '' and not ((fields[4] == from_key and fields[6] == to_key) or
      (fields[4] == to_key and fields[6] == from_key)) then
    return {'', 3}
  end
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
for i = 14, #ARGV do
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
