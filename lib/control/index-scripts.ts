import type { RedisScript } from '../redis.js';

/**
 * Lua scripts of the per-user session index. Every script takes the five keys of one user (in the
 * order of lib/redis.ts UserKeys: sessions, meta, stamps, dead, revocation), which share a hash tag,
 * so they run unchanged on Redis Cluster.
 *
 * Revocation compares generations, never clocks: a "destroy all" adds one to the user's generation,
 * every session carries the generation its user signed in at (its stamp), and one rule, revoked(),
 * decides. Numbers that leave Lua go through int(): Redis turns Lua numbers into strings that may
 * use exponent notation. Metadata JSON holds numbers as strings (cjson keeps 14 digits only).
 */
const HELPERS = `
local sessions, meta, stamps, dead, revocation = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local function int(x) return string.format('%.0f', x) end
local function generation() return tonumber(redis.call('HGET', revocation, 'gen')) or 0 end
-- a session is out when it was destroyed (its tombstone), or when its stamp is older than its user's
-- generation: the index's stamp when the index holds it (a "destroy all" restamps what it keeps), else its own
local function revoked(ref, stamp)
  if ref ~= '' then
    if redis.call('ZSCORE', dead, ref) then return true end
    local indexed = redis.call('ZSCORE', stamps, ref)
    if indexed then stamp = tonumber(indexed) end
  end
  return stamp < generation()
end
local function drop(refs)
  for i = 1, #refs, 500 do
    local part = { unpack(refs, i, math.min(i + 499, #refs)) }
    redis.call('ZREM', sessions, unpack(part))
    redis.call('HDEL', meta, unpack(part))
    redis.call('ZREM', stamps, unpack(part))
  end
end
local function prune(now)
  drop(redis.call('ZRANGEBYSCORE', sessions, '-inf', int(now)))
  redis.call('ZREMRANGEBYSCORE', dead, '-inf', int(now))
end
local function lastScoreTtl(key, now)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if not last[2] then return nil end
  return int(math.max(1, math.floor(tonumber(last[2]) - now)))
end
local function expireIndex(now)
  local ttl = lastScoreTtl(sessions, now)
  if ttl then
    redis.call('PEXPIRE', sessions, ttl)
    redis.call('PEXPIRE', meta, ttl)
    redis.call('PEXPIRE', stamps, ttl)
  end
  local deadTtl = lastScoreTtl(dead, now)
  if deadTtl then redis.call('PEXPIRE', dead, deadTtl) end
end
local function bury(refs, until_)
  drop(refs)
  for _, ref in ipairs(refs) do redis.call('ZADD', dead, int(until_), ref) end
end
-- ARGV callerRef, callerStamp ('', -1: no caller): the session a request acts from on its user's
-- behalf; once it is revoked, what it asks for is not done (a signed-out device signs nobody out)
local function callerRevoked(callerRef, callerStamp)
  return callerStamp >= 0 and revoked(callerRef, callerStamp)
end
-- removes up to batch sessions stamped before gen; returns their metadata JSON
local function drain(gen, batch)
  local refs = redis.call('ZRANGEBYSCORE', stamps, '-inf', '(' .. int(gen), 'LIMIT', 0, batch)
  local removed = #refs > 0 and redis.call('HMGET', meta, unpack(refs)) or {}
  drop(refs)
  return removed
end
`;

/**
 * Adds or refreshes one session in its user's index.
 * ARGV: ref, expiresAt, metaJson, now, stamp, maxSessions (0: none), tombstoneMs, refuseOverLimit ('1')
 * Returns { 1, evicted session id... }, { 0 } when revoked, { -1 } when a new session would exceed
 * maxSessions and refuseOverLimit is set.
 */
const UPSERT = `${HELPERS}
local ref, expiresAt, metaJson = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local now, stamp, maxSessions, tombstoneMs = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
prune(now)
if revoked(ref, stamp) then return { 0 } end
local indexed = redis.call('ZSCORE', sessions, ref)
if not indexed and maxSessions > 0 and ARGV[8] == '1' and redis.call('ZCARD', sessions) >= maxSessions then return { -1 } end
redis.call('ZADD', sessions, int(expiresAt), ref)
redis.call('HSET', meta, ref, metaJson)
if not indexed then redis.call('ZADD', stamps, int(stamp), ref) end
local result = { 1 }
local excess = maxSessions > 0 and not indexed and redis.call('ZCARD', sessions) - maxSessions or 0
if excess > 0 then
  local fields = redis.call('HGETALL', meta)
  local others = {}
  for i = 1, #fields, 2 do
    if fields[i] ~= ref then
      local ok, entry = pcall(cjson.decode, fields[i + 1])
      if not ok or type(entry) ~= 'table' then entry = {} end
      others[#others + 1] = { ref = fields[i], createdAt = tonumber(entry.createdAt) or 0, sid = entry.sid }
    end
  end
  table.sort(others, function(a, b)
    if a.createdAt == b.createdAt then return a.ref < b.ref end
    return a.createdAt < b.createdAt
  end)
  local victims = {}
  for i = 1, math.min(excess, #others) do
    victims[#victims + 1] = others[i].ref
    if type(others[i].sid) == 'string' then result[#result + 1] = others[i].sid end
  end
  bury(victims, now + tombstoneMs)
end
expireIndex(now)
return result
`;

/** "Last seen", IP and user agent of an indexed session a request did not save. ARGV: ref, lastSeenAt, ip, userAgent. Returns 1, or 0 when not indexed. */
const TOUCH = `${HELPERS}
if not redis.call('ZSCORE', sessions, ARGV[1]) then return 0 end
local ok, entry = pcall(cjson.decode, redis.call('HGET', meta, ARGV[1]) or '')
if not ok or type(entry) ~= 'table' then return 0 end
entry.lastSeenAt = ARGV[2]
entry.ip = ARGV[3]
entry.userAgent = ARGV[4]
redis.call('HSET', meta, ARGV[1], cjson.encode(entry))
return 1
`;

/**
 * Removes a destroyed session, leaving a tombstone. ARGV: ref, now, tombstoneMs, callerRef, callerStamp.
 * Returns its metadata JSON, or nil when it was not indexed or the caller is revoked.
 */
const REMOVE = `${HELPERS}
local now = tonumber(ARGV[2])
if callerRevoked(ARGV[4], tonumber(ARGV[5])) then return false end
local metaJson = redis.call('HGET', meta, ARGV[1])
bury({ ARGV[1] }, now + tonumber(ARGV[3]))
expireIndex(now)
return metaJson
`;

/**
 * Removes a session its user signed out of (it lives on, with another user or none): no tombstone.
 * ARGV: ref, now. Returns 0 when it was destroyed meanwhile (it must not be written back), 1 otherwise.
 */
const SIGN_OUT = `${HELPERS}
local now = tonumber(ARGV[2])
prune(now)
if redis.call('ZSCORE', dead, ARGV[1]) then return 0 end
drop({ ARGV[1] })
expireIndex(now)
return 1
`;

/**
 * "Destroy all": the user's generation goes up by one, which revokes every session stamped before it;
 * the kept sessions the index holds are restamped with it, and the first `batch` of the others are
 * removed (DRAIN removes the rest, a batch per call, so no call blocks Redis for long).
 * ARGV: now, batch, callerRef, callerStamp, kept ref...
 * Returns { 'gone' } for a revoked caller, else { gen, n, the n kept refs the index held, metadata JSON of each removed session... }.
 */
const REVOKE_ALL = `${HELPERS}
if callerRevoked(ARGV[3], tonumber(ARGV[4])) then return { 'gone' } end
local gen = redis.call('HINCRBY', revocation, 'gen', 1)
redis.call('HSET', revocation, 'at', ARGV[1])
local result = { gen, 0 }
for i = 5, #ARGV do
  if redis.call('ZSCORE', sessions, ARGV[i]) then
    redis.call('ZADD', stamps, gen, ARGV[i])
    result[#result + 1] = ARGV[i]
  end
end
result[2] = #result - 2
for _, json in ipairs(drain(gen, tonumber(ARGV[2]))) do result[#result + 1] = json end
return result
`;

/** The next batch of a "destroy all" of generation ARGV[1] (ARGV[2]: batch). Returns metadata JSON of each removed session. */
const DRAIN = `${HELPERS}
return drain(tonumber(ARGV[1]), tonumber(ARGV[2]))
`;

/** Whether a store session is revoked (the rule above). ARGV: ref, stamp. Returns 1 or 0. */
const IS_REVOKED = `${HELPERS}
return revoked(ARGV[1], tonumber(ARGV[2])) and 1 or 0
`;

/** A user's live sessions. ARGV: now. Returns { { ref, metaJson, ... }, { ref, expiresAt, ... } }. */
const LIST = `${HELPERS}
prune(tonumber(ARGV[1]))
return { redis.call('HGETALL', meta), redis.call('ZRANGE', sessions, 0, -1, 'WITHSCORES') }
`;

export const INDEX_SCRIPTS = {
  upsert: { name: 'eggSessionPlusIndexUpsert', numberOfKeys: 5, lua: UPSERT },
  touch: { name: 'eggSessionPlusIndexTouch', numberOfKeys: 5, lua: TOUCH },
  remove: { name: 'eggSessionPlusIndexRemove', numberOfKeys: 5, lua: REMOVE },
  signOut: { name: 'eggSessionPlusIndexSignOut', numberOfKeys: 5, lua: SIGN_OUT },
  revokeAll: { name: 'eggSessionPlusIndexRevokeAll', numberOfKeys: 5, lua: REVOKE_ALL },
  drain: { name: 'eggSessionPlusIndexDrain', numberOfKeys: 5, lua: DRAIN },
  isRevoked: { name: 'eggSessionPlusIndexIsRevoked', numberOfKeys: 5, lua: IS_REVOKED },
  list: { name: 'eggSessionPlusIndexList', numberOfKeys: 5, lua: LIST },
} satisfies Record<string, RedisScript>;
