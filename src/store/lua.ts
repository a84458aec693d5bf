import { createHash } from 'node:crypto';

/**
 * The Redis scripts. Each runs atomically on the server (one EVALSHA, one round trip). Every
 * key a script touches is declared in KEYS, so on Redis Cluster a script only ever touches one
 * slot: in split mode (`ARGV` flag `split`) the commit leaves the timer shards and the indexes
 * to separate, idempotent scripts (see docs/store.md "Redis Cluster").
 *
 * Numbers cross into Lua as strings. Epoch milliseconds have 13 digits, within Lua 5.1's
 * `%.14g` number formatting, so they survive `tostring` and concatenation unchanged.
 */
export interface LuaScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

function script(name: string, lua: string): LuaScript {
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * KEYS: call, active index. ARGV: record JSON, token, nowMs, activeTtlMs, writeIndex, callId.
 * Returns {created 0|1, version}. A replay of our own create (same token) reports created.
 */
export const CREATE = script(
  'create',
  `
local v = redis.call('HGET', KEYS[1], 'v')
if v then
  if v == '1' and redis.call('HGET', KEYS[1], 'c') == ARGV[2] then return {1, 1} end
  return {0, tonumber(v)}
end
redis.call('HSET', KEYS[1], 'v', 1, 'r', ARGV[1], 'c', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if ARGV[5] == '1' then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[6])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (tonumber(ARGV[3]) - tonumber(ARGV[4])))
end
return {1, 1}
`,
);

/**
 * KEYS: call, dedupe key (or call). ARGV: hasDedupe, timerId ('' none), generation, the version
 * the caller already holds ('' none). Returns nil when the call is missing, else
 * {v, r, e, a, duplicate 0|1, timerLive 0|1}; `r` is '' when `v` is the version the caller holds
 * (it has that state: the record is not sent again).
 */
export const LOAD = script(
  'load',
  `
local h = redis.call('HMGET', KEYS[1], 'v', 'r', 'e', 'a')
if not h[1] then return false end
local dup = 0
if ARGV[1] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then dup = 1 end
local live = 1
if ARGV[2] ~= '' and redis.call('HGET', KEYS[1], 't:' .. ARGV[2]) ~= ARGV[3] then live = 0 end
local r = h[2]
if ARGV[4] ~= nil and ARGV[4] ~= '' and ARGV[4] == h[1] then r = '' end
return {h[1], r, h[3] or '', h[4] or '', dup, live}
`,
);

/**
 * The commit. KEYS: 1 call, 2 flag, 3 dedupe (or call), 4 timers due, 5 timers leased,
 * 6 timers meta, 7 active index, 8 agent index (or call). In split mode 4–8 are the call key
 * again and are not touched.
 *
 * A commit that ends the call unschedules every timer the call had; the timers it starts itself
 * are scheduled after that and outlive the end (a human's phone a retry still has to stop:
 * runtime/effect-failures.ts `retriesAtEnd`).
 *
 * ARGV: 1 expectedVersion, 2 record JSON, 3 token, 4 nowMs, 5 callId, 6 hasDedupe,
 * 7 dedupeTtlMs, 8 flagOp (''|set|refresh|clear), 9 flag value, 10 flagTtlMs,
 * 11 firedTimerId ('' none), 12 fired generation, 13 ended 0|1, 14 endedAtMs, 15 agentId,
 * 16 retentionMs, 17 activeTtlMs, 18 split 0|1, 19 nCancel, cancel ids…, nStart,
 * (timerId, atMs)….
 *
 * Returns {'ok', version, replayed 0|1, timer members to unschedule… (split mode only)}, or
 * {'missing', 0, 0}, or a refusal that carries the call's current state, as LOAD would read it
 * for this event, so the caller steps again without a second read:
 * {'duplicate' | 'version_conflict' | 'stale_timer', v, 0, r, e, a, timerLive 0|1}.
 * The token makes a retried commit idempotent: if our own earlier attempt was applied (the
 * reply was lost), the retry reports that success instead of a conflict or a duplicate.
 */
export const COMMIT = script(
  'commit',
  `
local callKey = KEYS[1]
local v = redis.call('HGET', callKey, 'v')
if not v then return {'missing', 0, 0} end
local token = ARGV[3]
local function refused(status)
  local h = redis.call('HMGET', callKey, 'r', 'e', 'a')
  local live = 1
  if ARGV[11] ~= '' and redis.call('HGET', callKey, 't:' .. ARGV[11]) ~= ARGV[12] then live = 0 end
  return {status, v, 0, h[1], h[2] or '', h[3] or '', live}
end
if ARGV[6] == '1' then
  local d = redis.call('GET', KEYS[3])
  if d then
    local sep = string.find(d, '|', 1, true)
    if sep and string.sub(d, 1, sep - 1) == token then
      return {'ok', tonumber(string.sub(d, sep + 1)), 1}
    end
    return refused('duplicate')
  end
end
v = tonumber(v)
local expected = tonumber(ARGV[1])
if v ~= expected then
  if v == expected + 1 and redis.call('HGET', callKey, 'c') == token then return {'ok', v, 1} end
  return refused('version_conflict')
end
local split = ARGV[18] == '1'
local callId = ARGV[5]
local removed = {}
local function unschedule(timerId)
  local field = 't:' .. timerId
  local gen = redis.call('HGET', callKey, field)
  if gen then
    redis.call('HDEL', callKey, field)
    local m = callId .. '\\n' .. timerId .. '\\n' .. gen
    if split then
      removed[#removed + 1] = m
    else
      redis.call('ZREM', KEYS[4], m)
      redis.call('ZREM', KEYS[5], m)
      redis.call('HDEL', KEYS[6], m)
    end
  end
end
if ARGV[11] ~= '' then
  if redis.call('HGET', callKey, 't:' .. ARGV[11]) ~= ARGV[12] then return refused('stale_timer') end
  unschedule(ARGV[11])
end
local nv = v + 1
redis.call('HSET', callKey, 'v', nv, 'r', ARGV[2], 'c', token)
if ARGV[6] == '1' then redis.call('SET', KEYS[3], token .. '|' .. nv, 'PX', ARGV[7]) end
local flagOp = ARGV[8]
if flagOp == 'set' then
  redis.call('SET', KEYS[2], ARGV[9], 'PX', ARGV[10])
elseif flagOp == 'refresh' then
  redis.call('PEXPIRE', KEYS[2], ARGV[10])
elseif flagOp == 'clear' then
  redis.call('DEL', KEYS[2])
end
local i = 19
local nCancel = tonumber(ARGV[i])
i = i + 1
for _ = 1, nCancel do
  unschedule(ARGV[i])
  i = i + 1
end
local endedBefore = redis.call('HEXISTS', callKey, 'e') == 1
local ending = ARGV[13] == '1' and not endedBefore
if ending then
  local fields = redis.call('HKEYS', callKey)
  for _, f in ipairs(fields) do
    if string.sub(f, 1, 2) == 't:' then unschedule(string.sub(f, 3)) end
  end
end
local nStart = tonumber(ARGV[i])
i = i + 1
for _ = 1, nStart do
  local timerId = ARGV[i]
  local atMs = ARGV[i + 1]
  i = i + 2
  unschedule(timerId)
  redis.call('HSET', callKey, 't:' .. timerId, token)
  if not split then
    local m = callId .. '\\n' .. timerId .. '\\n' .. token
    redis.call('ZADD', KEYS[4], atMs, m)
    redis.call('HSET', KEYS[6], m, atMs .. '|0')
  end
end
if ending then
  redis.call('HSET', callKey, 'e', ARGV[14], 'a', ARGV[15])
  redis.call('PEXPIRE', callKey, ARGV[16])
  if not split then
    local now = tonumber(ARGV[4])
    redis.call('ZREM', KEYS[7], callId)
    redis.call('ZADD', KEYS[8], ARGV[14], callId)
    redis.call('ZREMRANGEBYSCORE', KEYS[8], '-inf', '(' .. (now - tonumber(ARGV[16])))
    redis.call('PEXPIRE', KEYS[8], ARGV[16])
  end
elseif not endedBefore then
  redis.call('PEXPIRE', callKey, ARGV[17])
  if not split then redis.call('ZADD', KEYS[7], ARGV[4], callId) end
end
local out = {'ok', nv, 0}
for _, m in ipairs(removed) do out[#out + 1] = m end
return out
`,
);

/**
 * KEYS: due, leased, meta (one shard). ARGV: nowMs, limit, leaseMs, workerId.
 * Meta of a timer: `atMs|attempts|lastHolder`.
 * Hands out expired leases first (they are the oldest), then due timers.
 * Returns {leaseUntilMs, member, atMs, attempt, member, atMs, attempt, …}.
 */
export const CLAIM = script(
  'claim',
  `
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local untilMs = now + tonumber(ARGV[3])
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, limit)
local due = {}
if #expired < limit then
  due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit - #expired)
end
local out = {untilMs}
local function lease(m, fallbackAt)
  redis.call('ZADD', KEYS[2], untilMs, m)
  local meta = redis.call('HGET', KEYS[3], m)
  local atMs = fallbackAt
  local attempts = 0
  if meta then
    local p1 = string.find(meta, '|', 1, true)
    local p2 = string.find(meta, '|', p1 + 1, true)
    atMs = string.sub(meta, 1, p1 - 1)
    attempts = tonumber(string.sub(meta, p1 + 1, (p2 or 0) - 1))
  end
  attempts = attempts + 1
  redis.call('HSET', KEYS[3], m, atMs .. '|' .. attempts .. '|' .. ARGV[4])
  out[#out + 1] = m
  out[#out + 1] = atMs
  out[#out + 1] = attempts
end
for _, m in ipairs(expired) do lease(m, '0') end
for _, m in ipairs(due) do
  local score = redis.call('ZSCORE', KEYS[1], m)
  redis.call('ZREM', KEYS[1], m)
  lease(m, score)
end
return out
`,
);

/** KEYS: due, leased, meta. ARGV: members. Removes them wherever they are. Idempotent. */
export const UNSCHEDULE = script(
  'unschedule',
  `
for _, m in ipairs(ARGV) do
  redis.call('ZREM', KEYS[1], m)
  redis.call('ZREM', KEYS[2], m)
  redis.call('HDEL', KEYS[3], m)
end
return #ARGV
`,
);

/** Split mode. KEYS: due, meta. ARGV: (member, atMs)…. Idempotent. */
export const SCHEDULE = script(
  'schedule',
  `
for i = 1, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i])
  redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1] .. '|0')
end
return #ARGV / 2
`,
);

/** Split mode. KEYS: agent index. ARGV: callId, endedAtMs, nowMs, retentionMs. Idempotent. */
export const INDEX_ENDED = script(
  'index_ended',
  `
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (tonumber(ARGV[3]) - tonumber(ARGV[4])))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`,
);

/** KEYS: socket key. ARGV: workerId. Deletes only if that worker still holds it. */
export const RELEASE = script(
  'release',
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
);

/** KEYS: socket key. ARGV: workerId, ttlMs. Returns the previous holder (or false). */
export const CLAIM_SOCKET = script(
  'claim_socket',
  `
local prev = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return prev
`,
);
