/**
 * The Redis broker's Lua scripts for messages: stamping, storing and
 * publishing one atomically, the dedup window, and reading history streams
 * (pages, and everything after an id for a resume).
 *
 * @module
 */
import { PRELUDE } from "./redis_scripts.ts";

/**
 * Helpers for history streams, whose entry ids are message ids without the
 * sequence padding. An entry's fields: `m` the message JSON, `f` and `t`
 * the user keys of a direct message, `n` its number in its conversation's
 * count, `c` the target of a change (absent on a message).
 */
export const STREAMS = `
local function stream_key(topic) return prefix .. 'history:' .. topic end
local function fields_of(list)
  local fields = {}
  for i = 1, #list, 2 do fields[list[i]] = list[i + 1] end
  return fields
end
-- Whether the entry's fields are those of a direct message between the two keys.
local function between(fields, one, other)
  return (fields.f == one and fields.t == other) or (fields.f == other and fields.t == one)
end
-- The counter of a channel, or of the conversation between two user keys (either way round).
local function counter_key(channel, one, other)
  if channel ~= '' then return prefix .. 'count:channel:' .. channel end
  if one > other then one, other = other, one end
  return prefix .. 'count:pair:' .. one .. '\\n' .. other
end
-- The next message id from Redis's clock: {ms, seq}, increasing across every topic.
local function next_id()
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
  return ms, seq
end
-- A message's state keys in one topic: its edit or deletion, its reactions, who reacted with what.
local function state_key(topic, id) return prefix .. 'state:' .. topic .. ':' .. id end
local function reactions_key(topic, id) return prefix .. 'reactions:' .. topic .. ':' .. id end
local function reacted_key(topic, id) return prefix .. 'reacted:' .. topic .. ':' .. id end
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
 * that must be kept (or '' twice), the keys of the users a channel message
 * mentions (one a line, or ''), the sender's and recipient's names of a
 * direct message (or '' twice), then the topics. It counts the message in
 * its conversation (`n`), marks it read for its author, counts it for
 * the members it mentions, and makes it the newest of a direct conversation. An author muted in that
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
-- ARGV[14]: mentioned user keys, one a line; ARGV[15], ARGV[16]: the names of a direct message's users.
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
  local fields = fields_of(target[2])
  -- A change is no message to answer; a direct one must be between the same pair.
  if fields.c or (from_key ~= '' and not between(fields, from_key, to_key)) then
    return {'', 3}
  end
end
local ms, seq = next_id()
local counter = counter_key(muting_channel, from_key, to_key)
local n = redis.call('INCR', counter)
if from_key ~= '' then redis.call('PEXPIRE', counter, ttl) end
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
for i = 17, #ARGV do
  local stream = stream_key(ARGV[i])
  if from_key ~= '' then
    redis.call('XADD', stream, 'MAXLEN', limit, entry, 'm', message, 'f', from_key, 't', to_key,
      'n', n)
  else
    redis.call('XADD', stream, 'MAXLEN', limit, entry, 'm', message, 'n', n)
  end
  redis.call('XTRIM', stream, 'MINID', oldest)
  redis.call('PEXPIRE', stream, ttl)
  redis.call('PUBLISH', prefix .. ARGV[i], published)
end
if dedup ~= '' then redis.call('SET', dedup_key, message, 'PX', window) end
-- Read state: the author has read their own message; members it mentions count it apart;
-- a direct message is the newest of its conversation for both users.
local mark = entry .. ' ' .. n
if from_key == '' then
  local read = prefix .. 'read:' .. author
  redis.call('HSET', read, 'channel:' .. muting_channel, mark)
  redis.call('PEXPIRE', read, ttl)
  if ARGV[14] ~= '' then
    local members = prefix .. 'members:' .. muting_channel
    local mention = muting_channel .. '\\n' .. string.format('%012d', n)
    for key in string.gmatch(ARGV[14], '[^\\n]+') do
      if key ~= author and redis.call('SISMEMBER', members, key) == 1 then
        redis.call('ZADD', prefix .. 'mentions:' .. key, 0, mention)
        redis.call('PEXPIRE', prefix .. 'mentions:' .. key, ttl)
      end
    end
  end
else
  local read = prefix .. 'read:' .. from_key
  redis.call('HSET', read, 'user:' .. to_key, mark)
  redis.call('PEXPIRE', read, ttl)
  for _, side in ipairs({{from_key, to_key, ARGV[16]}, {to_key, from_key, ARGV[15]}}) do
    local conversations = prefix .. 'conversations:' .. side[1]
    local names = prefix .. 'conversation-names:' .. side[1]
    -- In message order, even within one millisecond (exact as a double up to 2^53).
    redis.call('ZADD', conversations, ms * 1000 + math.min(seq, 999), side[2])
    redis.call('HSET', names, side[2], side[3])
    redis.call('PEXPIRE', conversations, ttl)
    redis.call('PEXPIRE', names, ttl)
  end
end
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
 * A page of a topic's messages (changes are no entries of it), newest
 * first. ARGV: prefix, topic, before (stream id, or '' for the newest),
 * limit, the reader's key (or ''), then optionally two user keys: only
 * direct messages between them count (read from the entries' `f` and `t`
 * fields, never by decoding the message). Returns {message JSON, its state
 * as HGETALL gives it, {emoji, count, 1 if the reader reacted so or 0, …}}
 * for each.
 */
export const HISTORY_PAGE = PRELUDE + STREAMS + `
local topic = ARGV[2]
local stream = stream_key(topic)
local before, limit, reader, one, other = ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7]
if before == '0-0' then return {} end
local function wanted(fields)
  if fields.c then return false end
  if not one or one == '' then return true end
  return between(fields, one, other)
end
-- {emoji, count, 1 if the reader has it or 0, ...} of a message.
local function reactions_of(id)
  local out = {}
  local counts = redis.call('HGETALL', reactions_key(topic, id))
  for i = 1, #counts, 2 do
    local mine = reader ~= '' and
      redis.call('SISMEMBER', reacted_key(topic, id), reader .. '\\n' .. counts[i]) or 0
    table.insert(out, counts[i])
    table.insert(out, counts[i + 1])
    table.insert(out, mine)
  end
  return out
end
local upper = before == '' and '+' or ('(' .. before)
local found = {}
while #found < limit do
  local batch = redis.call('XREVRANGE', stream, upper, '-', 'COUNT', 100)
  if #batch == 0 then break end
  for _, entry in ipairs(batch) do
    local fields = fields_of(entry[2])
    if wanted(fields) then
      local id = entry[1]
      table.insert(found, {fields.m, redis.call('HGETALL', state_key(topic, id)), reactions_of(id)})
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
 * Returns {1 or 0 truncated, {entry JSON, the state (HGETALL) of its message
 * or of the message it changes}...}.
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
  local fields = fields_of(entry[2])
  table.insert(out, {fields.m, redis.call('HGETALL', state_key(ARGV[2], fields.c or entry[1]))})
end
return out
`;
