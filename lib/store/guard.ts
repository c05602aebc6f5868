import type { Context, Application } from 'egg';
import { withTimeout } from './deadlines.js';
import { isAnonymousSession, markAnonymous, markSessionGone } from '../request-session.js';
import type { SessionStore, StoreDestroyOptions, StoreGetOptions, StoreSetOptions, StoredSession } from '../types.js';

export type StoreErrorPolicy = 'fail' | 'anonymous';

/** A store failure under `onStoreError: 'fail'`: egg answers 503. */
export class SessionStoreError extends Error {
  readonly status = 503;
  readonly expose = true;
  readonly code = 'SESSION_STORE_UNAVAILABLE';

  constructor(operation: string, cause: unknown) {
    // a write that timed out is still on its way: the store may apply it when it answers
    const late = operation === 'get' ? '' : '; it may have been saved all the same';
    super(`Session store unavailable (${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}${late})`, { cause });
    this.name = 'SessionStoreError';
  }
}

export { withTimeout };

/**
 * Wraps any session store with a timeout and the `onStoreError` policy, and reports every
 * failure as `session:error`.
 */
export class StoreGuard implements SessionStore {
  readonly store: SessionStore;
  readonly #app: Application;
  readonly #timeout: number;
  readonly #policy: StoreErrorPolicy;

  constructor(store: SessionStore, app: Application, timeout: number, policy: StoreErrorPolicy) {
    this.store = store;
    this.#app = app;
    this.#timeout = timeout;
    this.#policy = policy;
  }

  get(key: string, maxAge: number | 'session', options: StoreGetOptions): Promise<unknown> {
    return this.#run('get', key, options.ctx, () => this.store.get(key, maxAge, options));
  }

  async set(key: string, value: StoredSession, maxAge: number | 'session', options: StoreSetOptions): Promise<void> {
    if (isAnonymousSession(options.ctx)) return;
    await this.#run('set', key, options.ctx, () => this.store.set(key, value, maxAge, options));
  }

  /** What the store answered (the built-in stores: whether the session existed). */
  destroy(key: string, options: StoreDestroyOptions): Promise<unknown> {
    // whatever the store answers, this request never writes the id again (a late write would resurrect it)
    if (options?.ctx) markSessionGone(options.ctx, key);
    return this.#run('destroy', key, options.ctx, () => this.store.destroy(key, options));
  }

  #run(operation: string, key: string, ctx: Context, call: () => unknown): Promise<unknown> {
    let work: unknown;
    try {
      work = call();
    } catch (error) {
      work = Promise.reject(error);
    }
    return withTimeout(work, this.#timeout, `session store ${operation}`, error => this.#failed(operation, key, ctx, error));
  }

  /**
   * Reports a failure; under 'anonymous' the request goes on with an empty session and sends no session
   * cookie (a failed destroy leaves the user's cookie alone: the session lives on), under 'fail' it throws.
   */
  #failed(operation: string, key: string, ctx: Context, error: unknown): undefined {
    const err = error instanceof Error ? error : new Error(String(error));
    this.#app.emit('session:error', { key, error: err, ctx, operation });
    if (this.#policy === 'fail') throw new SessionStoreError(operation, err);
    markAnonymous(ctx);
    return undefined;
  }
}
