import type { Context } from 'egg';

/** Options koa-session passes to `store.get`. */
export interface StoreGetOptions {
  rolling: boolean;
  ctx: Context;
}

/** Options koa-session passes to `store.set`. */
export interface StoreSetOptions {
  rolling: boolean;
  /** false when the data did not change (rolling / renew / forced save) */
  changed: boolean;
  ctx: Context;
}

export interface StoreDestroyOptions {
  ctx: Context;
}

/** Session data as it crosses the store boundary (koa-session adds `_expire`, `_maxAge`, `_session`). */
export type StoredSession = Record<string, unknown>;

/** The `app.sessionStore` contract, the same as `@eggjs/session`'s. */
export interface SessionStore {
  get(key: string, maxAge?: number | 'session', options?: StoreGetOptions): Promise<unknown> | unknown;
  set(key: string, value: StoredSession, maxAge?: number | 'session', options?: StoreSetOptions): Promise<unknown> | unknown;
  destroy(key: string, options?: StoreDestroyOptions): Promise<unknown> | unknown;
}

/** A store class, constructed with `app` when assigned to `app.sessionStore`. */
export type SessionStoreClass = new (app: any) => SessionStore;

/** The payload of the `session:missed|expired|invalid` events. */
export interface SessionEvent {
  key?: string;
  value?: unknown;
  ctx: Context;
}

/** The payload of the `session:error` event. */
export interface SessionErrorEvent {
  key?: string;
  error: Error;
  ctx: Context;
}
