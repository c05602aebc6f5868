import type { ResolvedSessionConfig } from '../config.js';
import type { BuiltinStore, StoredSession } from '../types.js';
import { defineScripts, type RedisClient } from '../redis.js';
import { diffFields, encodeFields, loadedFields, readSessionReply, withoutExpire, type ReadSession, type Snapshot } from './redis-format.js';

// The store's Lua scripts touch one key only, so they run unchanged on Redis Cluster.
// GET: `{ 'string', json, pttl }`, `{ 'hash', [f, v, ...], pttl }` or `{ type }`.
const GET_SESSION = `
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'string' then return { kind, redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1]) } end
if kind == 'hash' then return { kind, redis.call('HGETALL', KEYS[1]), redis.call('PTTL', KEYS[1]) } end
return { kind }
`;

// A merge save. ARGV: mode, ttl, nSet, <field, json> x nSet, nDel, <field> x nDel, nFull, <field, json> x nFull. 'replace' (a new id): the key
// becomes exactly the "set" fields. 'merge' (a loaded session): only "set" and "del" change; a key gone meanwhile (destroyed) is NOT written back
// (0); one still a whole-object string is converted with "full" (-1: none sent).
const SAVE_SESSION_FIELDS = `
local key, mode, ttl = KEYS[1], ARGV[1], ARGV[2]
local nSet = tonumber(ARGV[3])
local delAt = 5 + 2 * nSet
local nDel = tonumber(ARGV[delAt - 1])
local fullAt = delAt + nDel + 1
local nFull = tonumber(ARGV[fullAt - 1])
local function hset(from, n)
  for i = from, from + 2 * n - 1, 2 do redis.call('HSET', key, ARGV[i], ARGV[i + 1]) end
end
if mode == 'replace' then
  redis.call('DEL', key)
  hset(4, nSet)
else
  local kind = redis.call('TYPE', key).ok
  if kind == 'none' then return 0 end
  if kind == 'hash' then
    hset(4, nSet)
    for i = delAt, delAt + nDel - 1 do redis.call('HDEL', key, ARGV[i]) end
  elseif nFull == 0 then
    return -1
  else
    redis.call('DEL', key)
    hset(fullAt, nFull)
  end
end
redis.call('PEXPIRE', key, ttl)
return 1
`;

const SCRIPTS = {
  getSession: { name: 'eggSessionPlusGet', numberOfKeys: 1, lua: GET_SESSION },
  saveSessionFields: { name: 'eggSessionPlusSaveFields', numberOfKeys: 1, lua: SAVE_SESSION_FIELDS },
};
const unchanged = ({ set, del }: { set: unknown[]; del: unknown[] }) => !set.length && !del.length;

// The snapshot a request read tells at save time what changed: unchanged data gets a PEXPIRE only, and a session read before is written back only
// while it still exists, so a session destroyed meanwhile (log out elsewhere) is not resurrected.
export class RedisStore implements BuiltinStore {
  readonly storeName = 'redis';
  readonly client: RedisClient;
  readonly options: ResolvedSessionConfig['redis'];
  readonly #scripts;
  constructor(client: RedisClient, options: ResolvedSessionConfig['redis']) {
    this.client = client;
    this.options = options;
    this.#scripts = defineScripts(client, SCRIPTS);
  }
  async read(id: string): Promise<ReadSession | undefined> { return readSessionReply(await this.#scripts.getSession(this.options.prefix + id)); }
  write(id: string, value: StoredSession, maxAge?: number | 'session', snapshot?: unknown): Promise<Snapshot | undefined> {
    const key = this.options.prefix + id;
    const ttl = typeof maxAge === 'number' ? maxAge : this.options.sessionTTL;
    const loaded = snapshot as Snapshot | undefined;
    return this.options.merge ? this.#saveFields(key, ttl, value, loaded) : this.#saveWhole(key, ttl, value, loaded);
  }
  async remove(id: string): Promise<boolean> { return await this.client.del(this.options.prefix + id) > 0; }
  // the app.sessionStore contract, for whoever calls the store directly
  async get(id: string): Promise<StoredSession | undefined> { return (await this.read(id))?.value; }
  async set(id: string, value: StoredSession, maxAge?: number | 'session'): Promise<void> { await this.write(id, value, maxAge); }
  destroy(id: string): Promise<boolean> { return this.remove(id); }
  async #saveWhole(key: string, ttl: number, value: StoredSession, loaded?: Snapshot): Promise<Snapshot | undefined> {
    const text = JSON.stringify(withoutExpire(value));
    const same = loaded && (loaded.text === undefined ? unchanged(diffFields(loaded.fields!, encodeFields(value))) : loaded.text === text);
    if (same && await this.client.pexpire(key, ttl) === 1) return loaded;
    // XX: a session destroyed since this request read it stays destroyed
    const reply = loaded ? await this.client.set(key, text, 'PX', ttl, 'XX') : await this.client.set(key, text, 'PX', ttl);
    return reply === null ? undefined : { format: 'string', text };
  }
  async #saveFields(key: string, ttl: number, value: StoredSession, loaded?: Snapshot): Promise<Snapshot | undefined> {
    const fields = encodeFields(value);
    const { set, del } = loaded ? diffFields(loadedFields(loaded) ?? new Map<string, string>(), fields) : { set: [ ...fields ], del: [] };
    if (loaded && unchanged({ set, del }) && await this.client.pexpire(key, ttl) === 1) return loaded;
    const save = (full: [string, string][]) =>
      this.#scripts.saveSessionFields(key, loaded ? 'merge' : 'replace', ttl, set.length, ...set.flat(), del.length, ...del, full.length, ...full.flat());
    // the whole session goes along only when the stored one is still in the whole-object format
    let result = await save(loaded?.format === 'string' ? [ ...fields ] : []);
    if (result === -1) result = await save([ ...fields ]);
    return result === 1 ? { format: 'hash', fields } : undefined;
  }
}
