import type { RedisScript } from '../redis.js';

// The per-user index's Lua, on one user's five keys (lib/redis.ts userKeys, in order): one hash tag, so Redis Cluster runs it. Revocation compares
// generations, never clocks: "destroy all" adds one to the user's generation, a session carries the one it signed in at (its stamp), and revoked()
// decides. Numbers leave Lua through int() (else exponent-notation strings).
const HELPERS = `
local sessions, meta, stamps, dead, revocation = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local function int(x) return string.format('%.0f', x) end
-- a tombstone (ms) outlives any request that could still write the destroyed session back
local TOMBSTONE_MS = 3600000
-- a session is out when it was destroyed (its tombstone), or when its stamp is older than its user's
-- generation: the index's stamp when the index holds it (a "destroy all" restamps what it keeps), else its own
local function revoked(ref, stamp)
  if ref ~= '' then
    if redis.call('ZSCORE', dead, ref) then return true end
    local indexed = redis.call('ZSCORE', stamps, ref)
    if indexed then stamp = tonumber(indexed) end
  end
  return stamp < (tonumber(redis.call('HGET', revocation, 'gen')) or 0)
end
-- ARGV callerRef, callerStamp ('', -1: no caller): the session a request acts from on its user's behalf;
-- once it is revoked, what it asks for is not done (a signed-out device signs nobody out)
local function callerRevoked(callerRef, callerStamp)
  return callerStamp >= 0 and revoked(callerRef, callerStamp)
end
local function drop(refs)
  for i = 1, #refs, 500 do
    local part = { unpack(refs, i, math.min(i + 499, #refs)) }
    redis.call('ZREM', sessions, unpack(part))
    redis.call('HDEL', meta, unpack(part))
    redis.call('ZREM', stamps, unpack(part))
  end
end
local function bury(refs, now)
  drop(refs)
  for _, ref in ipairs(refs) do redis.call('ZADD', dead, int(now + TOMBSTONE_MS), ref) end
end
local function prune(now)
  drop(redis.call('ZRANGEBYSCORE', sessions, '-inf', int(now)))
  redis.call('ZREMRANGEBYSCORE', dead, '-inf', int(now))
end
-- the keys expire with the last entry of the sorted set zset
local function expireWith(now, zset, ...)
  local last = redis.call('ZRANGE', zset, -1, -1, 'WITHSCORES')[2]
  if not last then return end
  local ttl = int(math.max(1, math.floor(tonumber(last) - now)))
  for _, key in ipairs({ zset, ... }) do redis.call('PEXPIRE', key, ttl) end
end
local function expireIndex(now) expireWith(now, sessions, meta, stamps); expireWith(now, dead) end
-- removes up to batch sessions stamped before gen; returns their metadata JSON
local function drain(gen, batch)
  local refs = redis.call('ZRANGEBYSCORE', stamps, '-inf', '(' .. int(gen), 'LIMIT', 0, batch)
  local removed = #refs > 0 and redis.call('HMGET', meta, unpack(refs)) or {}
  drop(refs)
  return removed
end
`;

const script = (name: string, body: string): RedisScript => ({ name: `eggSessionPlusIndex${name}`, numberOfKeys: 5, lua: HELPERS + body });
export const INDEX_SCRIPTS = {
  // ARGV: ref, expiresAt, metaJson, now, stamp, maxSessions (0: none), refuseOverLimit ('1'). Returns { 1, evicted metadata... }, { 0 } when revoked,
  // { -1 } when a new session would exceed maxSessions under refuseOverLimit (else the least recently used go).
  upsert: script('Upsert', `
local ref, expiresAt, metaJson = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local now, stamp, maxSessions = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
prune(now)
if revoked(ref, stamp) then return { 0 } end
local indexed = redis.call('ZSCORE', sessions, ref)
local full = not indexed and maxSessions > 0 and redis.call('ZCARD', sessions) >= maxSessions
if full and ARGV[7] == '1' then return { -1 } end
local result = { 1 }
if full then
  -- the least recently used sessions make room (each write pushes a session's expiry back)
  local victims = redis.call('ZRANGE', sessions, 0, redis.call('ZCARD', sessions) - maxSessions)
  result = { 1, unpack(redis.call('HMGET', meta, unpack(victims))) }
  bury(victims, now)
end
redis.call('ZADD', sessions, int(expiresAt), ref)
redis.call('HSET', meta, ref, metaJson)
if not indexed then redis.call('ZADD', stamps, int(stamp), ref) end
expireIndex(now)
return result
`),
  // "Last seen", IP and user agent of an indexed session a request did not save. ARGV: ref, lastSeenAt, ip, userAgent. Returns 1, or 0.
  touch: script('Touch', `
if not redis.call('ZSCORE', sessions, ARGV[1]) then return 0 end
local ok, entry = pcall(cjson.decode, redis.call('HGET', meta, ARGV[1]) or '')
if not ok or type(entry) ~= 'table' then return 0 end
entry.lastSeenAt, entry.ip, entry.userAgent = ARGV[2], ARGV[3], ARGV[4]
redis.call('HSET', meta, ARGV[1], cjson.encode(entry))
return 1
`),
  // Removes a destroyed session, leaving a tombstone. ARGV: ref, now, callerRef, callerStamp. Returns its metadata, or nil.
  remove: script('Remove', `
local now = tonumber(ARGV[2])
if callerRevoked(ARGV[3], tonumber(ARGV[4])) then return false end
local metaJson = redis.call('HGET', meta, ARGV[1])
bury({ ARGV[1] }, now)
expireIndex(now)
return metaJson
`),
  // Removes a session its user signed out of (it lives on): no tombstone. ARGV: ref, now. Returns 0 when it was destroyed meanwhile.
  signOut: script('SignOut', `
local now = tonumber(ARGV[2])
prune(now)
if redis.call('ZSCORE', dead, ARGV[1]) then return 0 end
drop({ ARGV[1] })
expireIndex(now)
return 1
`),
  // "Destroy all": generation + 1, kept sessions restamped, the first `batch` others removed (drain: the rest, so no call blocks Redis long). ARGV:
  // now, batch, callerRef, callerStamp, kept ref... Returns { 'gone' }, or { gen, callerKept 1/0, removed... }.
  revokeAll: script('RevokeAll', `
if callerRevoked(ARGV[3], tonumber(ARGV[4])) then return { 'gone' } end
local gen = redis.call('HINCRBY', revocation, 'gen', 1)
redis.call('HSET', revocation, 'at', ARGV[1])
local callerKept = 0
for i = 5, #ARGV do
  if redis.call('ZSCORE', sessions, ARGV[i]) then
    redis.call('ZADD', stamps, gen, ARGV[i])
    if ARGV[i] == ARGV[3] then callerKept = 1 end
  end
end
return { gen, callerKept, unpack(drain(gen, tonumber(ARGV[2]))) }
`),
  // The next batch of a "destroy all" of generation ARGV[1] (ARGV[2]: batch). Returns the removed sessions' metadata.
  drain: script('Drain', 'return drain(tonumber(ARGV[1]), tonumber(ARGV[2]))'),
  // Whether a store session is revoked (the rule above). ARGV: ref, stamp. Returns 1 or 0.
  isRevoked: script('IsRevoked', 'return revoked(ARGV[1], tonumber(ARGV[2])) and 1 or 0'),
  // A user's live sessions. ARGV: now. Returns { { ref, expiresAt, metadata }... }.
  list: script('List', `
prune(tonumber(ARGV[1]))
local result, scores = {}, redis.call('ZRANGE', sessions, 0, -1, 'WITHSCORES')
for i = 1, #scores, 2 do result[#result + 1] = { scores[i], scores[i + 1], redis.call('HGET', meta, scores[i]) } end
return result
`),
} satisfies Record<string, RedisScript>;
