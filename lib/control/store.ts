import type { Application } from 'egg';
import { isAnonymousSession } from '../request-session.js';
import type { SessionStore, StoreDestroyOptions, StoreGetOptions, StoreSetOptions, StoredSession } from '../types.js';
import { applyAbsoluteMaxAge } from '../session-meta.js';
import { requestState } from './state.js';
import { sessionControlOf } from './setup.js';
import { describeStore } from '../builtin-store.js';

/**
 * What koa-session sees as the store: the guarded store plus session control. Adds the hidden
 * metadata to writes, applies `absoluteMaxAge` to reads, and keeps the per-user index (when
 * session control is on) in step with writes and destroys.
 */
export class ControlledStore implements SessionStore {
  readonly store: SessionStore;
  readonly #app: Application;
  readonly #absoluteMaxAge: number | undefined;

  /** The store behind the guard is a built-in one, whose destroy answers whether the session existed. */
  readonly reportsDestroy: boolean;

  constructor(store: SessionStore & { store?: unknown }, app: Application, absoluteMaxAge: number | undefined) {
    this.store = store;
    this.reportsDestroy = describeStore(store.store) !== 'custom';
    this.#app = app;
    this.#absoluteMaxAge = absoluteMaxAge;
  }

  get(key: string, maxAge: number | 'session', options: StoreGetOptions): Promise<unknown> {
    return Promise.resolve(this.store.get(key, maxAge, options)).then(data => {
      if (typeof data === 'object' && data !== null) {
        applyAbsoluteMaxAge(data, this.#absoluteMaxAge);
        if (options?.ctx) requestState(options.ctx).storeKey = key;
      }
      return data;
    });
  }

  async set(key: string, value: StoredSession, maxAge: number | 'session', options: StoreSetOptions): Promise<void> {
    const ctx = options?.ctx;
    const meta = ctx && requestState(ctx).meta;
    if (meta) Object.assign(value, meta);
    await this.store.set(key, value, maxAge, options);
    if (!ctx || isAnonymousSession(ctx)) return;
    await sessionControlOf(this.#app)?.trackSave(ctx, key, value, maxAge, this.store);
  }

  async destroy(key: string, options: StoreDestroyOptions): Promise<unknown> {
    const existed = await this.store.destroy(key, options);
    if (options?.ctx) await sessionControlOf(this.#app)?.trackDestroy(options.ctx, key);
    return existed;
  }
}
