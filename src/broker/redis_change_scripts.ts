/**
 * The Redis broker's Lua scripts for what happens to a message after it is
 * sent: a change (edit, delete, reaction) checked, stamped, stored and
 * published in one step, and read state (marking read, the counts a
 * session gets on connect). Counts come from the counters PUBLISH_MESSAGE
 * keeps, never from reading a stream.
 *
 * @module
 */
import { STREAMS } from "./redis_message_scripts.ts";
import { PRELUDE } from "./redis_scripts.ts";

/**
 * Checks and stores a change of the kept message `target` (for a direct
 * message, one between the actor and the partner, in the actor's inbox or
 * else the partner's), and publishes it on every topic that keeps the
 * message, in one step: its state keys there follow (an edit's text and
 * time, a deletion, the reaction counts and who reacted) and last the
 * history TTL after the latest change, as long as any entry that refers to
 * them. The message is never decoded: its author's holding is the entry's
 * `a` field, its time the entry id's. ARGV: prefix, dedup key (or ''),
 * dedup window ms, history limit, history ttl ms, action (edit, delete,
 * react), the actor's key, name and holding, the target's stream id and
 * message id, the reference topic, the partner's key (or '' in a channel),
 * the place as the change is addressed to it (the channel, or the partner's
 * name), '1' when the actor moderates the channel, the edit window ms, the
 * new text, the emoji, '1' to add it, most emoji a message may have, then
 * the topics. Returns {change JSON, 0}, {first change JSON, 1} for a
 * duplicate, {reason, 4} when refused (not_found, not_permitted,
 * window_closed, too_many_reactions), or {'', 5} when a reaction changes
 * nothing.
 */
export const PUBLISH_CHANGE = PRELUDE + STREAMS + `
local dedup, window, limit, ttl = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local action, actor_key, actor_name, actor = ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local target, target_id, reference, partner_key = ARGV[10], ARGV[11], ARGV[12], ARGV[13]
local to, moderator, edit_window, text = ARGV[14], ARGV[15] == '1', tonumber(ARGV[16]), ARGV[17]
local emoji, add, max_emoji = ARGV[18], ARGV[19] == '1', tonumber(ARGV[20])
local dedup_key = prefix .. 'dedup:' .. dedup
if dedup ~= '' then
  local earlier = redis.call('GET', dedup_key)
  if earlier then return {earlier, 1} end
end
-- The kept message in a topic, or nil: never a change, and in a conversation one of the pair.
local function kept(topic)
  trim_aged(stream_key(topic), ttl)
  local found = redis.call('XRANGE', stream_key(topic), target, target)[1]
  if not found then return nil end
  local fields = fields_of(found[2])
  if fields.c or (partner_key ~= '' and not between(fields, actor_key, partner_key)) then
    return nil
  end
  return fields
end
local fields = kept(reference)
if not fields and partner_key ~= '' then
  reference = 'user:' .. partner_key
  fields = kept(reference)
end
if not fields or redis.call('HEXISTS', state_key(reference, target), 'deleted') == 1 then
  return {'not_found', 4}
end
local mine = fields.a ~= nil and fields.a ~= '' and fields.a == actor
local now = now_ms()
local count = 0
local reacted = actor_key .. '\\n' .. emoji
if action == 'edit' then
  if not mine then return {'not_permitted', 4} end
  if parse_id(target) + edit_window <= now then return {'window_closed', 4} end
elseif action == 'delete' then
  if not mine and not moderator then return {'not_permitted', 4} end
else
  local has = redis.call('SISMEMBER', reacted_key(reference, target), reacted) == 1
  if has == add then return {'', 5} end
  count = tonumber(redis.call('HGET', reactions_key(reference, target), emoji) or '0')
  if add and count == 0 and redis.call('HLEN', reactions_key(reference, target)) >= max_emoji then
    return {'too_many_reactions', 4}
  end
  count = count + (add and 1 or -1)
end
local ms, seq = next_id()
local id = string.format('%013d-%06d', ms, seq)
local change
if action == 'react' then
  change = '{"action":"react","target":"' .. target_id .. '","emoji":' .. cjson.encode(emoji) ..
    ',"added":' .. (add and 'true' or 'false') .. ',"count":' .. count .. '}'
else
  change = '{"action":"' .. action .. '","target":"' .. target_id .. '"}'
end
local message = '{"id":"' .. id .. '","ts":' .. string.format('%d', ms) .. ',"kind":"' ..
  (partner_key ~= '' and 'direct' or 'channel') .. '","from":' .. cjson.encode(actor_name) ..
  ',"to":' .. cjson.encode(to) .. ',"text":' .. cjson.encode(action == 'edit' and text or '') ..
  ',"change":' .. change .. '}'
local entry = string.format('%d-%d', ms, seq)
local n = count_of(counter_key(partner_key == '' and to or '', actor_key, partner_key))
local oldest = string.format('%d-0', ms - ttl)
for i = 21, #ARGV do
  local topic = ARGV[i]
  if topic == reference or kept(topic) then
    local state, reactions, who = state_key(topic, target), reactions_key(topic, target),
      reacted_key(topic, target)
    if action == 'edit' then
      redis.call('HSET', state, 'text', text, 'edited', ms)
    elseif action == 'delete' then
      redis.call('DEL', state, reactions, who)
      redis.call('HSET', state, 'deleted', ms)
    elseif add then
      redis.call('SADD', who, reacted)
      redis.call('HINCRBY', reactions, emoji, 1)
    else
      redis.call('SREM', who, reacted)
      if redis.call('HINCRBY', reactions, emoji, -1) <= 0 then redis.call('HDEL', reactions, emoji) end
    end
    for _, key in ipairs({state, reactions, who}) do redis.call('PEXPIRE', key, ttl) end
    local stream = stream_key(topic)
    if partner_key ~= '' then
      redis.call('XADD', stream, 'MAXLEN', limit, entry, 'm', message, 'f', actor_key, 't',
        partner_key, 'n', n, 'c', target)
    else
      redis.call('XADD', stream, 'MAXLEN', limit, entry, 'm', message, 'n', n, 'c', target)
    end
    redis.call('XTRIM', stream, 'MINID', oldest)
    redis.call('PEXPIRE', stream, ttl)
    redis.call('PUBLISH', prefix .. topic, message)
  end
end
if dedup ~= '' then redis.call('SET', dedup_key, message, 'PX', window) end
return {message, 0}
`;

/** Read-state helpers: a mark is "<stream id> <number>"; a mention is its channel, a newline and its padded number. */
const MARKS = `
-- The stream id the clock issued last: every entry up to it is stored (scripts run one at a time).
local function last_issued()
  local clock = redis.call('HMGET', prefix .. 'clock', 'ms', 'seq')
  if not clock[1] then return '' end
  return clock[1] .. '-' .. clock[2]
end
local function read_key(key) return prefix .. 'read:' .. key end
local function parse_mark(mark)
  if not mark then return nil, 0 end
  local id, n = string.match(mark, '^(%S*) (%d+)$')
  return id, tonumber(n)
end
local function mention_at(channel, n) return channel .. '\\n' .. string.format('%012d', n) end
local function unread_mentions(key, channel, after)
  return redis.call('ZLEXCOUNT', prefix .. 'mentions:' .. key, '(' .. mention_at(channel, after),
    '[' .. channel .. '\\n~')
end
`;

/**
 * Moves a user's read position forward to a kept entry, never back. ARGV:
 * prefix, the user's key, the place ('channel:<name>' or 'user:<key>'), the
 * topic the entries are in (the channel's, or the user's inbox), the entry's
 * stream id ('' for the newest there), the channel (or ''), the other user's
 * key (or ''), history ttl ms. Returns {} when there is no such entry, else
 * {the read stream id, unread, unread mentions, 1 if it moved or 0, members}.
 */
export const MARK_READ = PRELUDE + STREAMS + MARKS + `
local key, place, topic, wanted = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local channel, other, ttl = ARGV[6], ARGV[7], tonumber(ARGV[8])
local stream = stream_key(topic)
local found
if wanted ~= '' then
  found = redis.call('XRANGE', stream, wanted, wanted)[1]
  if found and other ~= '' and not between(fields_of(found[2]), key, other) then found = nil end
elseif other == '' then
  found = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)[1]
else
  -- The conversation's newest message, as its counter remembers it: no walk through the inbox.
  local last = redis.call('HGET', counter_key('', key, other), 'last')
  if last then found = redis.call('XRANGE', stream, last, last)[1] end
end
if not found then return {} end
local n = tonumber(fields_of(found[2]).n or '0')
local mark_id, mark_n = parse_mark(redis.call('HGET', read_key(key), place))
local moved = not mark_id or mark_id == '' or id_less(mark_id, found[1])
if moved then
  mark_id, mark_n = found[1], n
  redis.call('HSET', read_key(key), place, found[1] .. ' ' .. n)
  redis.call('PEXPIRE', read_key(key), ttl)
  if channel ~= '' then
    redis.call('ZREMRANGEBYLEX', prefix .. 'mentions:' .. key, '[' .. channel .. '\\n',
      '[' .. mention_at(channel, n))
  end
end
local unread = unread_of(counter_key(channel, key, other), mark_id, mark_n)
local mentions = channel ~= '' and unread_mentions(key, channel, mark_n) or 0
local members = channel ~= '' and redis.call('SCARD', prefix .. 'members:' .. channel) or 2
return {mark_id, unread, mentions, moved and 1 or 0, members, last_issued()}
`;

/**
 * How far users have read a channel. ARGV: prefix, channel, then user keys.
 * Returns each one's read stream id, or '' for none, in order.
 */
export const READ_BY = PRELUDE + MARKS + `
local out = {}
for i = 3, #ARGV do
  local id = parse_mark(redis.call('HGET', read_key(ARGV[i]), 'channel:' .. ARGV[2]))
  table.insert(out, id or '')
end
return out
`;

/**
 * Where a user stands in channels and in their most recent conversations.
 * ARGV: prefix, the user's key, most conversations, then the channels.
 * Returns {{read stream id or '', unread, mentions} per channel},
 * {{name, read stream id or '', unread, the other's read stream id or ''}
 * per conversation, newest first}. A channel read nowhere yet (joined
 * before read state was kept) has nothing unread.
 */
export const READ_POSITIONS = PRELUDE + STREAMS + MARKS + `
local key, most = ARGV[2], tonumber(ARGV[3])
local channels = {}
for i = 4, #ARGV do
  local channel = ARGV[i]
  local id, n = parse_mark(redis.call('HGET', read_key(key), 'channel:' .. channel))
  if id then
    local unread = unread_of(counter_key(channel, '', ''), id, n)
    table.insert(channels, {id, unread, unread_mentions(key, channel, n)})
  else
    table.insert(channels, {'', 0, 0})
  end
end
local conversations = {}
local names = prefix .. 'conversation-names:' .. key
for _, other in ipairs(redis.call('ZREVRANGE', prefix .. 'conversations:' .. key, 0, most - 1)) do
  local id, n = parse_mark(redis.call('HGET', read_key(key), 'user:' .. other))
  local unread = unread_of(counter_key('', key, other), id, n)
  local theirs = parse_mark(redis.call('HGET', read_key(other), 'user:' .. key))
  table.insert(conversations, {redis.call('HGET', names, other) or other, id or '', unread,
    theirs or ''})
end
return {channels, conversations, last_issued()}
`;
