import { debuglog } from 'node:util';
import type { BuiltinStore, StoreRead, StoredSession } from '../types.js';
import { defineScripts, sessionKey, type RedisClient, type ScriptCall } from '../redis.js';
import { SESSION_SCRIPTS } from './redis-scripts.js';
import { diffFields, encodeFields, loadedFields, readSessionReply, withoutExpire, type FieldChanges, type Snapshot } from './redis-format.js';

const debug = debuglog('egg-session-plus');

export interface RedisStoreOptions {
  /** key prefix, e.g. 'sess:' */
  prefix: string;
  /** TTL in ms for browser-session cookies (maxAge 'session') */
  sessionTTL: number;
  /** save only the top-level keys a request changed (a hash per session) */
  merge: boolean;
}

/**
 * The built-in Redis store (`config.session.store = 'redis'`), on the app's @eggjs/redis client.
 * With the snapshot of what a request read it knows at save time what really changed:
 * - unchanged data → PEXPIRE only;
 * - a session read before is only written back while it still exists (SET XX, or the merge
 *   script's check), so a session destroyed meanwhile (log out elsewhere) is not resurrected;
 * - a brand-new session id is written normally.
 */
export class RedisStore implements BuiltinStore {
  readonly storeName = 'redis';
  readonly client: RedisClient;
  readonly options: RedisStoreOptions;
  readonly #scripts: Record<keyof typeof SESSION_SCRIPTS, ScriptCall>;

  constructor(client: RedisClient, options: RedisStoreOptions) {
    this.client = client;
    this.options = options;
    this.#scripts = defineScripts(client, SESSION_SCRIPTS);
  }

  /** The Redis key of a session id. */
  keyOf(id: string): string {
    return sessionKey(this.options.prefix, id);
  }

  async read(id: string): Promise<StoreRead | undefined> {
    const read = readSessionReply(await this.#scripts.getSession(this.keyOf(id)));
    return read && { value: read.value, snapshot: read.loaded };
  }

  async write(id: string, value: StoredSession, maxAge?: number | 'session', snapshot?: unknown): Promise<Snapshot | undefined> {
    const ttl = typeof maxAge === 'number' ? maxAge : this.options.sessionTTL;
    const loaded = snapshot as Snapshot | undefined;
    const saved = this.options.merge ? await this.#saveFields(id, value, ttl, loaded) : await this.#saveWhole(id, value, ttl, loaded);
    if (!saved) debug('not saving %s: it was destroyed or expired while the request ran', this.keyOf(id));
    return saved;
  }

  async remove(id: string): Promise<boolean> {
    return await this.client.del(this.keyOf(id)) > 0;
  }

  async get(id: string): Promise<StoredSession | undefined> {
    return (await this.read(id))?.value;
  }

  async set(id: string, value: StoredSession, maxAge?: number | 'session'): Promise<void> {
    await this.write(id, value, maxAge);
  }

  destroy(id: string): Promise<boolean> {
    return this.remove(id);
  }

  /** Whole-object save; returns what is stored now, or undefined when nothing was written. */
  async #saveWhole(id: string, value: StoredSession, ttl: number, loaded?: Snapshot): Promise<Snapshot | undefined> {
    const stored = withoutExpire(value);
    const json = JSON.stringify(stored);
    const key = this.keyOf(id);
    const saved: Snapshot = { format: 'string', text: json };
    if (!loaded) {
      await this.client.set(key, json, 'PX', ttl);
      return saved;
    }
    const unchanged = loaded.text === undefined ? isEmpty(diffFields(loaded.fields!, encodeFields(stored))) : loaded.text === json;
    if (unchanged && await this.client.pexpire(key, ttl) === 1) return loaded;
    // XX: a session destroyed since this request read it stays destroyed
    return await this.client.set(key, json, 'PX', ttl, 'XX') === null ? undefined : saved;
  }

  /** Merge save: only the top-level fields this request changed. */
  async #saveFields(id: string, value: StoredSession, ttl: number, loaded?: Snapshot): Promise<Snapshot | undefined> {
    const fields = encodeFields(value);
    const key = this.keyOf(id);
    const save = this.#scripts.saveSessionFields;
    const saved: Snapshot = { format: 'hash', fields };
    if (!loaded) {
      await save(key, 'replace', ttl, ...countedPairs([ ...fields ]), 0, 0);
      return saved;
    }
    const changes = diffFields(loadedFields(loaded) ?? new Map<string, string>(), fields);
    if (isEmpty(changes) && await this.client.pexpire(key, ttl) === 1) return loaded;
    const { set, del } = changes;
    // the whole session goes along only when the stored one is still in the whole-object format
    const full = loaded.format === 'string' ? [ ...fields ] : [];
    let result = await save(key, 'merge', ttl, ...countedPairs(set), del.length, ...del, ...countedPairs(full));
    if (result === -1) result = await save(key, 'merge', ttl, ...countedPairs(set), del.length, ...del, ...countedPairs([ ...fields ]));
    return result === 1 ? saved : undefined;
  }
}

function isEmpty(changes: FieldChanges): boolean {
  return !changes.set.length && !changes.del.length;
}

/** `[n, k1, v1, ..., kn, vn]` for the save script's argument list. */
function countedPairs(pairs: [string, string][]): (string | number)[] {
  return [ pairs.length, ...pairs.flat() ];
}
