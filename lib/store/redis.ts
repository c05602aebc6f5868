import { debuglog } from 'node:util';
import type { BuiltinStore, StoredSession } from '../types.js';
import { defineScripts, sessionKey, type RedisClient, type ScriptCall } from '../redis.js';
import { SESSION_SCRIPTS } from './redis-scripts.js';
import { diffFields, encodeFields, loadedFields, readSessionReply, withoutExpire, type ReadSession, type Snapshot } from './redis-format.js';

const debug = debuglog('egg-session-plus');

export interface RedisStoreOptions {
  prefix: string;
  /** TTL in ms for browser-session cookies (maxAge 'session') */
  sessionTTL: number;
  /** save only the top-level keys a request changed (a hash per session) */
  merge: boolean;
}

/**
 * The built-in Redis store (`config.session.store = 'redis'`), on the app's @eggjs/redis client.
 * With the snapshot of what a request read it knows at save time what really changed: unchanged
 * data gets a PEXPIRE only, and a session read before is written back only while it still exists,
 * so a session destroyed meanwhile (log out elsewhere) is not resurrected.
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

  async read(id: string): Promise<ReadSession | undefined> {
    return readSessionReply(await this.#scripts.getSession(sessionKey(this.options.prefix, id)));
  }

  /** What is stored now, or undefined when a session read before (`snapshot`) was gone and nothing was written. */
  async write(id: string, value: StoredSession, maxAge?: number | 'session', snapshot?: unknown): Promise<Snapshot | undefined> {
    const key = sessionKey(this.options.prefix, id);
    const ttl = typeof maxAge === 'number' ? maxAge : this.options.sessionTTL;
    const loaded = snapshot as Snapshot | undefined;
    const saved = this.options.merge ? await this.#saveFields(key, ttl, value, loaded) : await this.#saveWhole(key, ttl, value, loaded);
    if (!saved) debug('not saving %s: it was destroyed or expired while the request ran', key);
    return saved;
  }

  async remove(id: string): Promise<boolean> {
    return await this.client.del(sessionKey(this.options.prefix, id)) > 0;
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

  async #saveWhole(key: string, ttl: number, value: StoredSession, loaded?: Snapshot): Promise<Snapshot | undefined> {
    const text = JSON.stringify(withoutExpire(value));
    const same = loaded && (loaded.text === undefined ? unchanged(diffFields(loaded.fields!, encodeFields(value))) : loaded.text === text);
    if (same && await this.client.pexpire(key, ttl) === 1) return loaded;
    // XX: a session destroyed since this request read it stays destroyed
    const reply = loaded ? await this.client.set(key, text, 'PX', ttl, 'XX') : await this.client.set(key, text, 'PX', ttl);
    return reply === null ? undefined : { format: 'string', text };
  }

  /** Merge save: only the top-level fields this request changed. */
  async #saveFields(key: string, ttl: number, value: StoredSession, loaded?: Snapshot): Promise<Snapshot | undefined> {
    const fields = encodeFields(value);
    const changes = loaded ? diffFields(loadedFields(loaded) ?? new Map<string, string>(), fields) : { set: [ ...fields ], del: [] };
    if (loaded && unchanged(changes) && await this.client.pexpire(key, ttl) === 1) return loaded;
    const { set, del } = changes;
    const mode = loaded ? 'merge' : 'replace';
    // the whole session goes along only when the stored one is still in the whole-object format
    let result = await this.#runSave(key, mode, ttl, set, del, loaded?.format === 'string' ? [ ...fields ] : []);
    if (result === -1) result = await this.#runSave(key, mode, ttl, set, del, [ ...fields ]);
    return result === 1 ? { format: 'hash', fields } : undefined;
  }

  #runSave(key: string, mode: 'merge' | 'replace', ttl: number, set: [string, string][], del: string[], full: [string, string][]): Promise<unknown> {
    return this.#scripts.saveSessionFields(key, mode, ttl, set.length, ...set.flat(), del.length, ...del, full.length, ...full.flat());
  }
}

function unchanged({ set, del }: { set: unknown[]; del: unknown[] }): boolean {
  return !set.length && !del.length;
}
