import { debuglog } from 'node:util';
import type { Context } from 'egg';
import { withTimeout } from './deadlines.js';
import { refOf } from '../session-id.js';
import type { BuiltinStore, SessionStore, StoreRead, StoredSession } from '../types.js';

const debug = debuglog('egg-session-plus');
const METHODS = [ 'get', 'set', 'destroy' ] as const;
const missingMethods = (store: object) => METHODS.filter(name => typeof Reflect.get(store, name) !== 'function');

export function assertSessionStore(store: unknown, label = 'app.sessionStore'): asserts store is SessionStore {
  const got = store === null ? 'null' : typeof store;
  if (got !== 'object') throw new TypeError(`[egg-session-plus] ${label} must be an object with get/set/destroy methods or a class, got ${got}`);
  const missing = missingMethods(store as object);
  if (missing.length) throw new TypeError(`[egg-session-plus] ${label} is missing method(s): ${missing.map(m => `${m}()`).join(', ')}`);
}

export function isSessionStore(store: unknown): store is SessionStore {
  return typeof store === 'object' && store !== null && !missingMethods(store).length;
}

/** A store failure under `onStoreError: 'fail'`: egg answers 503. */
export class SessionStoreError extends Error {
  readonly status = 503;
  readonly expose = true;
  readonly code = 'SESSION_STORE_UNAVAILABLE';
  override name = 'SessionStoreError';
  constructor(operation: string, cause: unknown) {
    // a write that timed out is still on its way: the store may apply it when it answers
    const late = operation === 'get' ? '' : '; it may have been saved all the same';
    super(`Session store unavailable (${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}${late})`, { cause });
  }
}

/** What a failed store call answers under `onStoreError: 'anonymous'`: the request goes on without a session. */
export const FAILED = Symbol('session store failed');
export type Failed = typeof FAILED;
export interface FailurePolicy { policy: 'fail' | 'anonymous'; key: string } // key: the cookie name, for cookie sessions' failures
export interface AdapterSettings extends FailurePolicy { timeout: number }

// The one handling of a failed store or Redis call: `session:error` naming a session by its reference, never its id (`storeKey` for an app's own
// store only), then 503 or FAILED. It runs where the request awaits: its log line is that request's.
export function storeFailed(ctx: Context, { policy, key }: FailurePolicy, operation: string, error: unknown, id?: string, own = false): Failed {
  const err = error instanceof Error ? error : new Error(String(error));
  const ref = id && refOf(id);
  debug('%s failed (%s): %s', operation, ref ?? key, err.message);
  ctx.app.emit('session:error', { key: ref ? `ref:${ref}` : key, ref, ...(own ? { storeKey: id } : {}), error: err, ctx, operation });
  if (policy === 'fail') throw new SessionStoreError(operation, err);
  return FAILED;
}

/** The one layer between a request's owner and any store: a time limit on every call, the outage policy, one shape of answer. */
export class StoreAdapter {
  readonly #store: SessionStore;
  readonly builtin: BuiltinStore | undefined; // it answers destroys with whether the session existed
  readonly #settings: AdapterSettings;
  constructor(store: SessionStore, settings: AdapterSettings) {
    const builtin = store as Partial<BuiltinStore>;
    this.#store = store;
    this.builtin = typeof builtin.read === 'function' && typeof builtin.storeName === 'string' ? builtin as BuiltinStore : undefined;
    this.#settings = settings;
  }
  read(ctx: Context, id: string, maxAge: number | 'session' | undefined, rolling: boolean): Promise<StoreRead | undefined | Failed> {
    return this.#call(ctx, 'get', id, async () => {
      if (this.builtin) return this.builtin.read(id);
      const value = await this.#store.get(id, maxAge, { ctx, rolling });
      return value === undefined || value === null ? undefined : { value: value as StoredSession, snapshot: undefined };
    });
  }
  /** `{ snapshot }` of what is stored now, or 'gone': a session read before no longer existed, and nothing was written. */
  write(ctx: Context, id: string, value: StoredSession, maxAge: number | 'session' | undefined,
    options: { rolling: boolean; changed: boolean; snapshot?: unknown }): Promise<{ snapshot: unknown } | 'gone' | Failed> {
    return this.#call(ctx, 'set', id, async () => {
      if (!this.builtin) {
        await this.#store.set(id, value, maxAge, { ctx, rolling: options.rolling, changed: options.changed });
        return { snapshot: undefined };
      }
      const snapshot = await this.builtin.write(id, value, maxAge, options.snapshot);
      if (snapshot !== undefined) return { snapshot };
      debug('not saving ref:%s: it was destroyed or expired while the request ran', refOf(id));
      return 'gone';
    });
  }
  /** Whether the session existed (undefined: an app's store does not say). */
  remove(ctx: Context, id: string): Promise<boolean | undefined | Failed> {
    return this.#call(ctx, 'destroy', id, async () => {
      if (this.builtin) return this.builtin.remove(id);
      await this.#store.destroy(id, { ctx });
      return undefined;
    });
  }
  async #call<T>(ctx: Context, operation: string, id: string, call: () => Promise<T>): Promise<T | Failed> {
    if (debug.enabled) debug('store %s %s ref:%s', this.builtin?.storeName ?? 'custom', operation, refOf(id));
    try {
      return await withTimeout(call(), this.#settings.timeout, `session store ${operation}`);
    } catch (error) {
      return storeFailed(ctx, this.#settings, operation, error, id, !this.builtin);
    }
  }
}
