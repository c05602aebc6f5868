import type { RedisScript } from '../redis.js';

// Lua scripts of the Redis store; each touches one key only, so they run unchanged on Redis Cluster.

/** Reads a session in either format: `{ 'string', json, pttl }`, `{ 'hash', [f, v, ...], pttl }` or `{ type }`. */
const GET_SESSION = `
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'string' then return { kind, redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1]) } end
if kind == 'hash' then return { kind, redis.call('HGETALL', KEYS[1]), redis.call('PTTL', KEYS[1]) } end
return { kind }
`;

/**
 * Saves a session as a hash of top-level fields (merge saves).
 * ARGV: mode, ttl, nSet, <field, json> x nSet, nDel, <field> x nDel, nFull, <field, json> x nFull
 * - mode 'replace' (a new session id): the key becomes exactly the "set" fields.
 * - mode 'merge' (a session this request loaded): only the "set" and "del" fields change; a key
 *   that is gone (destroyed meanwhile) is NOT written back (returns 0). A key still in the
 *   whole-object string format is converted with the "full" fields (returns -1 when none were sent).
 */
const SAVE_SESSION_FIELDS = `
local key, mode, ttl = KEYS[1], ARGV[1], ARGV[2]
local nSet = tonumber(ARGV[3])
local delAt = 5 + 2 * nSet
local nDel = tonumber(ARGV[delAt - 1])
local fullAt = delAt + nDel + 1
local nFull = tonumber(ARGV[fullAt - 1])

local function hset(from, n)
  for i = from, from + 2 * n - 1, 2 do
    redis.call('HSET', key, ARGV[i], ARGV[i + 1])
  end
end

if mode == 'replace' then
  redis.call('DEL', key)
  hset(4, nSet)
else
  local kind = redis.call('TYPE', key).ok
  if kind == 'none' then return 0 end
  if kind == 'hash' then
    hset(4, nSet)
    for i = delAt, delAt + nDel - 1 do
      redis.call('HDEL', key, ARGV[i])
    end
  else
    if nFull == 0 then return -1 end
    redis.call('DEL', key)
    hset(fullAt, nFull)
  end
end
redis.call('PEXPIRE', key, ttl)
return 1
`;

export const SESSION_SCRIPTS = {
  getSession: { name: 'eggSessionPlusGet', numberOfKeys: 1, lua: GET_SESSION },
  saveSessionFields: { name: 'eggSessionPlusSaveFields', numberOfKeys: 1, lua: SAVE_SESSION_FIELDS },
} satisfies Record<string, RedisScript>;
