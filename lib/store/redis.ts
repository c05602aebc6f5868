import { debuglog } from 'node:util';
import type { Application, Context } from 'egg';
import { markSessionGone, peekRequestSession } from '../request-session.js';
import type { ResolvedSessionConfig } from '../config.js';
import type { SessionStore, StoreDestroyOptions, StoreGetOptions, StoreSetOptions, StoredSession } from '../types.js';
import { defineScripts, resolveRedisClient, type RedisClient, type ScriptCall } from '../redis.js';
import { sessionKey } from '../redis-keys.js';
import { SESSION_SCRIPTS } from './redis-scripts.js';
import {
  diffFields, encodeFields, loadedFields, readSessionReply, withoutExpire, type LoadedSession,
} from './redis-format.js';

const debug = debuglog('egg-session-plus:redis');

export interface RedisStoreOptions {
  /** key prefix, e.g. 'sess:' */
  prefix: string;
  /** TTL in ms for browser-session cookies (maxAge 'session') */
  sessionTTL: number;
  /** save only the top-level keys a request changed (hash per session) */
  merge: boolean;
}

type Saved = Omit<LoadedSession, 'key'>;

/**
 * The built-in Redis store (`config.session.store = 'redis'`), on the app's @eggjs/redis client.
 *
 * It remembers what each request loaded, so that at save time it knows what really changed
 * (koa-session's `changed: false` is also false for forced saves, regenerate and maxAge changes):
 * - unchanged data → PEXPIRE only;
 * - a session this request loaded is only written back while it still exists (SET XX, or the
 *   merge script's check), so a session destroyed meanwhile (log out elsewhere) is not resurrected;
 * - a brand-new session id is written normally.
 */
export class RedisStore implements SessionStore {
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

  get(id: string, _maxAge?: number | 'session', options?: StoreGetOptions): Promise<StoredSession | undefined> {
    return this.#scripts.getSession(this.keyOf(id)).then(reply => {
      const read = readSessionReply(reply);
      if (options?.ctx) {
        setLoaded(options.ctx, read ? { key: id, ...read.loaded } : undefined);
      }
      return read?.value;
    });
  }

  async set(id: string, value: StoredSession, maxAge?: number | 'session', options?: StoreSetOptions): Promise<void> {
    const ttl = typeof maxAge === 'number' ? maxAge : this.options.sessionTTL;
    const ctx = options?.ctx;
    const loaded = ctx ? loadedOf(ctx) : undefined;
    const own = loaded?.key === id ? loaded : undefined;
    const saved = this.options.merge
      ? await this.#saveFields(id, value, ttl, own)
      : await this.#saveWhole(id, value, ttl, own);
    // a second save in the same request (save() then the auto commit) compares with this one
    if (ctx && saved) setLoaded(ctx, { key: id, ...saved });
    else if (ctx) markSessionGone(ctx, id, true);
  }

  /** Returns whether the session existed. */
  async destroy(id: string, options?: StoreDestroyOptions): Promise<boolean> {
    const removed = await this.client.del(this.keyOf(id));
    if (options?.ctx && loadedOf(options.ctx)?.key === id) setLoaded(options.ctx, undefined);
    return removed > 0;
  }

  /** Whole-object save; returns what is stored now, or undefined when nothing was written. */
  async #saveWhole(id: string, value: StoredSession, ttl: number, loaded?: LoadedSession): Promise<Saved | undefined> {
    const stored = withoutExpire(value);
    const json = JSON.stringify(stored);
    const key = this.keyOf(id);
    const saved: Saved = { format: 'string', text: json };
    if (!loaded) {
      await this.client.set(key, json, 'PX', ttl);
      return saved;
    }
    const unchanged = loaded.text === undefined
      ? loaded.fields !== undefined && diffIsEmpty(loaded.fields, encodeFields(stored))
      : loaded.text === json;
    if (unchanged && await this.client.pexpire(key, ttl) === 1) return loaded;
    // XX: a session destroyed since this request loaded it stays destroyed
    if (await this.client.set(key, json, 'PX', ttl, 'XX') === null) {
      debug('not saving %s: it was destroyed or expired while the request ran', key);
      return;
    }
    return saved;
  }

  /** Merge save: only the top-level fields this request changed. */
  async #saveFields(id: string, value: StoredSession, ttl: number, loaded?: LoadedSession): Promise<Saved | undefined> {
    const fields = encodeFields(value);
    const key = this.keyOf(id);
    const save = this.#scripts.saveSessionFields;
    const saved: Saved = { format: 'hash', fields };
    if (!loaded) {
      await save(key, 'replace', ttl, ...countedPairs([ ...fields ]), 0, 0);
      return saved;
    }
    const before = loadedFields(loaded) ?? new Map<string, string>();
    const { set, del } = diffFields(before, fields);
    if (!set.length && !del.length && await this.client.pexpire(key, ttl) === 1) return loaded;
    // the whole session goes along only when the stored one is still in the whole-object format
    const full = loaded.format === 'string' ? [ ...fields ] : [];
    let result = await save(key, 'merge', ttl, ...countedPairs(set), del.length, ...del, ...countedPairs(full));
    if (result === -1) result = await save(key, 'merge', ttl, ...countedPairs(set), del.length, ...del, ...countedPairs([ ...fields ]));
    if (result !== 1) {
      debug('not saving %s: it was destroyed or expired while the request ran', key);
      return;
    }
    return saved;
  }
}

// what a request loaded is kept by the request's session owner (lib/request-session.ts)
function loadedOf(ctx: Context): LoadedSession | undefined {
  return peekRequestSession(ctx)?.storeLoaded as LoadedSession | undefined;
}

function setLoaded(ctx: Context, loaded: LoadedSession | undefined): void {
  const owner = peekRequestSession(ctx);
  if (owner) owner.storeLoaded = loaded;
}

function diffIsEmpty(before: Map<string, string>, after: Map<string, string>): boolean {
  const { set, del } = diffFields(before, after);
  return !set.length && !del.length;
}

/** `[n, k1, v1, ..., kn, vn]` for the save script's argument list. */
function countedPairs(pairs: [string, string][]): (string | number)[] {
  return [ pairs.length, ...pairs.flat() ];
}

export function createRedisStore(app: Application, config: ResolvedSessionConfig): RedisStore {
  const { client: clientName, prefix, sessionTTL, merge } = config.redis;
  return new RedisStore(resolveRedisClient(app, clientName, 'config.session.store is \'redis\''), { prefix, sessionTTL, merge });
}
