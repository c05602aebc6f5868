import type { Context } from 'egg';

/** Options koa-session passes to `store.get`. */
export interface StoreGetOptions { rolling: boolean; ctx: Context }
/** Options koa-session passes to `store.set`; `changed` is false for rolling, renew and forced saves. */
export interface StoreSetOptions extends StoreGetOptions { changed: boolean }
export interface StoreDestroyOptions { ctx: Context }
/** Session data as it crosses the store boundary, with its hidden `_` fields (`_expire`, `_maxAge`, `_session`, …). */
export type StoredSession = Record<string, unknown>;

/** The `app.sessionStore` contract, the same as `@eggjs/session`'s. */
export interface SessionStore {
  get(key: string, maxAge?: number | 'session', options?: StoreGetOptions): Promise<unknown> | unknown;
  set(key: string, value: StoredSession, maxAge?: number | 'session', options?: StoreSetOptions): Promise<unknown> | unknown;
  destroy(key: string, options?: StoreDestroyOptions): Promise<unknown> | unknown;
}

/** A store class, constructed with `app` when assigned to `app.sessionStore`. */
export type SessionStoreClass = new (app: any) => SessionStore;
/** What a built-in store read, and the snapshot of that read it needs at the next write. */
export interface StoreRead { value: StoredSession; snapshot: unknown }

/** A built-in store (memory, redis): it knows no request; a session read before is written back only while it still exists. */
export interface BuiltinStore extends SessionStore {
  readonly storeName: 'memory' | 'redis';
  read(id: string): Promise<StoreRead | undefined>;
  /** The snapshot of what is stored now, or undefined when a session read before (`snapshot`) was gone. */
  write(id: string, value: StoredSession, maxAge: number | 'session' | undefined, snapshot?: unknown): Promise<unknown>;
  remove(id: string): Promise<boolean>; // whether the session existed
}

/** The payload of the `session:missed|expired|invalid` events. */
export interface SessionEvent { key?: string; value?: unknown; ctx: Context }
/** The payload of the `session:error` event. */
export interface SessionErrorEvent {
  /** what the log line names: the cookie name, or `ref:<reference>` of a store session (never its id) */ key?: string;
  /** the store session's reference (as `ctx.sessions.list()` shows it) */ ref?: string;
  /** the id an app's own store was called with (an app's store only) */ storeKey?: string;
  /** 'get', 'set', 'destroy', 'revocation check', 'index', … */ operation: string;
  error: Error;
  ctx: Context;
}
