import type { RedisScript } from '../redis.js';

/**
 * Lua scripts of the per-user session index. Every script touches only the keys of one user,
 * which share a hash tag, so they run unchanged on Redis Cluster. Registered through lib/redis.ts
 * (defineScripts).
 *
 * Numbers that leave Lua go through `int()`: Redis turns Lua numbers into strings that may use
 * exponent notation, which PEXPIRE rejects. Metadata JSON holds numbers as strings because
 * cjson re-encodes numbers with 14 significant digits, which would cut millisecond timestamps.
 */

const HELPERS = `
local function int(x) return string.format('%.0f', x) end
-- signed in at or before the user's recorded "destroy all" (revoked: nil when none is recorded, then never)
local function signedInBefore(authAt, revoked) return revoked ~= nil and authAt <= revoked end
local function prune(sessions, meta, dead, now)
  local expired = redis.call('ZRANGEBYSCORE', sessions, '-inf', int(now))
  if #expired > 0 then
    redis.call('ZREMRANGEBYSCORE', sessions, '-inf', int(now))
    for i = 1, #expired, 500 do
      redis.call('HDEL', meta, unpack(expired, i, math.min(i + 499, #expired)))
    end
  end
  redis.call('ZREMRANGEBYSCORE', dead, '-inf', int(now))
end
local function lastScoreTtl(key, now)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if not last[2] then return nil end
  return math.max(1, math.floor(tonumber(last[2]) - now))
end
local function expireIndex(sessions, meta, dead, now)
  local ttl = lastScoreTtl(sessions, now)
  if ttl then
    redis.call('PEXPIRE', sessions, int(ttl))
    redis.call('PEXPIRE', meta, int(ttl))
  end
  local deadTtl = lastScoreTtl(dead, now)
  if deadTtl then redis.call('PEXPIRE', dead, int(deadTtl)) end
end
local function bury(sessions, meta, dead, handle, until_)
  redis.call('ZREM', sessions, handle)
  redis.call('HDEL', meta, handle)
  redis.call('ZADD', dead, int(until_), handle)
end
`;

/**
 * Adds or refreshes one session in its user's index.
 * KEYS: sessions, meta, dead, revoked
 * ARGV: handle, expiresAt, metaJson, now, authAt, maxSessions (0: no limit), tombstoneMs
 * Returns { 1, evicted session id... } or { 0 } when refused: the handle was destroyed
 * (tombstone), or it is not indexed and its user signed in before a recorded "destroy all" (an
 * unknown sign-in time, 0, counts as before it; without a record nothing is refused for it).
 */
const UPSERT = `${HELPERS}
local handle, expiresAt, metaJson = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local now, authAt = tonumber(ARGV[4]), tonumber(ARGV[5])
local maxSessions, tombstoneMs = tonumber(ARGV[6]), tonumber(ARGV[7])
prune(KEYS[1], KEYS[2], KEYS[3], now)
local indexed = redis.call('ZSCORE', KEYS[1], handle)
if not indexed then
  if redis.call('ZSCORE', KEYS[3], handle) then return { 0 } end
  if signedInBefore(authAt, tonumber(redis.call('GET', KEYS[4]))) then return { 0 } end
end
redis.call('ZADD', KEYS[1], int(expiresAt), handle)
redis.call('HSET', KEYS[2], handle, metaJson)
local result = { 1 }
if maxSessions > 0 and not indexed then
  local excess = redis.call('ZCARD', KEYS[1]) - maxSessions
  if excess > 0 then
    local fields = redis.call('HGETALL', KEYS[2])
    local others = {}
    for i = 1, #fields, 2 do
      if fields[i] ~= handle then
        local ok, entry = pcall(cjson.decode, fields[i + 1])
        if not ok or type(entry) ~= 'table' then entry = {} end
        others[#others + 1] = { handle = fields[i], createdAt = tonumber(entry.createdAt) or 0, sid = entry.sid }
      end
    end
    table.sort(others, function(a, b)
      if a.createdAt == b.createdAt then return a.handle < b.handle end
      return a.createdAt < b.createdAt
    end)
    for i = 1, math.min(excess, #others) do
      local victim = others[i]
      bury(KEYS[1], KEYS[2], KEYS[3], victim.handle, now + tombstoneMs)
      if type(victim.sid) == 'string' then result[#result + 1] = victim.sid end
    end
  end
end
expireIndex(KEYS[1], KEYS[2], KEYS[3], now)
return result
`;

/**
 * Updates "last seen", IP and user agent of an indexed session (a request that did not save it).
 * KEYS: sessions, meta; ARGV: handle, lastSeenAt, ip, userAgent. Returns 1, or 0 when not indexed.
 */
const TOUCH = `
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
local ok, entry = pcall(cjson.decode, redis.call('HGET', KEYS[2], ARGV[1]) or '')
if not ok or type(entry) ~= 'table' then return 0 end
entry.lastSeenAt = ARGV[2]
entry.ip = ARGV[3]
entry.userAgent = ARGV[4]
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(entry))
return 1
`;

// the session a request acts from (ARGV callerHandle, callerAuthAt: '' / -1 for none) was destroyed or
// revoked by another request meanwhile: what it asks for on its user's behalf is not done
const CALLER_GONE = `
local function callerGone(dead, callerHandle, callerAuthAt, revoked)
  if callerHandle ~= '' and redis.call('ZSCORE', dead, callerHandle) then return true end
  return callerAuthAt >= 0 and signedInBefore(callerAuthAt, revoked)
end
`;

/**
 * Removes a destroyed session from the index, leaving a tombstone.
 * KEYS: sessions, meta, dead, revoked; ARGV: handle, now, tombstoneMs, callerHandle, callerAuthAt.
 * Returns its metadata JSON, or nil when it was not indexed or the caller is gone.
 */
const REMOVE = `${HELPERS}${CALLER_GONE}
local now, tombstoneMs = tonumber(ARGV[2]), tonumber(ARGV[3])
if callerGone(KEYS[3], ARGV[4], tonumber(ARGV[5]), tonumber(redis.call('GET', KEYS[4]))) then return false end
local metaJson = redis.call('HGET', KEYS[2], ARGV[1])
bury(KEYS[1], KEYS[2], KEYS[3], ARGV[1], now + tombstoneMs)
expireIndex(KEYS[1], KEYS[2], KEYS[3], now)
return metaJson
`;

/**
 * Removes a session its user signed out of (it lives on, with another user or none): no tombstone.
 * KEYS: sessions, meta, dead; ARGV: handle, now. Returns 0 when the session was destroyed meanwhile
 * (its tombstone is there: it must not be written back), 1 otherwise.
 */
const SIGN_OUT = `${HELPERS}
local now = tonumber(ARGV[2])
prune(KEYS[1], KEYS[2], KEYS[3], now)
if redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
expireIndex(KEYS[1], KEYS[2], KEYS[3], now)
return 1
`;

/**
 * "Destroy all": records the revocation time and removes every session but the kept ones; each
 * revocation is later than the one before, so a session kept by one (signed in just after it) is
 * still covered by the next. Checks the caller and records it in one step: of two devices that
 * revoke each other at once, the second is gone already.
 * KEYS: sessions, meta, dead, revoked; ARGV: now, revokedTtl, tombstoneMs, callerHandle, callerAuthAt, kept handle...
 * Returns { revokedAt, the revocation time before it (0: none), n, the n kept handles the index
 * held, metadata JSON of each removed session... }, or { 'gone', the revocation time } for a gone caller.
 */
const REVOKE_ALL = `${HELPERS}${CALLER_GONE}
local now, tombstoneMs = tonumber(ARGV[1]), tonumber(ARGV[3])
local recorded = tonumber(redis.call('GET', KEYS[4]))
local previous = recorded or 0
if callerGone(KEYS[3], ARGV[4], tonumber(ARGV[5]), recorded) then return { 'gone', int(previous) } end
local revokedAt = math.max(previous + 1, now)
redis.call('SET', KEYS[4], int(revokedAt), 'PX', ARGV[2])
local keep = {}
for i = 6, #ARGV do keep[ARGV[i]] = true end
local fields = redis.call('HGETALL', KEYS[2])
local kept, removed = {}, {}
for i = 1, #fields, 2 do
  if keep[fields[i]] then
    kept[#kept + 1] = fields[i]
  else
    bury(KEYS[1], KEYS[2], KEYS[3], fields[i], now + tombstoneMs)
    removed[#removed + 1] = fields[i + 1]
  end
end
expireIndex(KEYS[1], KEYS[2], KEYS[3], now)
local result = { int(revokedAt), int(previous), #kept }
for _, handle in ipairs(kept) do result[#result + 1] = handle end
for _, json in ipairs(removed) do result[#result + 1] = json end
return result
`;

/**
 * Whether a store session the index does not hold is revoked: its user had all sessions destroyed
 * at or after it signed in. A session the index holds is alive (a "destroy all" removed every session
 * it did not keep). KEYS: sessions, revoked; ARGV: handle, authAt. Returns 1 (revoked) or 0.
 */
const IS_REVOKED = `${HELPERS}
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
if signedInBefore(tonumber(ARGV[2]), tonumber(redis.call('GET', KEYS[2]))) then return 1 end
return 0
`;

/**
 * A user's live sessions. KEYS: sessions, meta, dead; ARGV: now.
 * Returns { { handle, metaJson, ... }, { handle, expiresAt, ... } }.
 */
const LIST = `${HELPERS}
prune(KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[1]))
return { redis.call('HGETALL', KEYS[2]), redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES') }
`;

export const COMMANDS = {
  upsert: { name: 'eggSessionPlusIndexUpsert', numberOfKeys: 4, lua: UPSERT },
  touch: { name: 'eggSessionPlusIndexTouch', numberOfKeys: 2, lua: TOUCH },
  remove: { name: 'eggSessionPlusIndexRemove', numberOfKeys: 4, lua: REMOVE },
  signOut: { name: 'eggSessionPlusIndexSignOut', numberOfKeys: 3, lua: SIGN_OUT },
  revokeAll: { name: 'eggSessionPlusIndexRevokeAll', numberOfKeys: 4, lua: REVOKE_ALL },
  list: { name: 'eggSessionPlusIndexList', numberOfKeys: 3, lua: LIST },
  isRevoked: { name: 'eggSessionPlusIndexIsRevoked', numberOfKeys: 2, lua: IS_REVOKED },
} satisfies Record<string, RedisScript>;
