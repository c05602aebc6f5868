import type { Application, Context } from 'egg';
import { withTimeout } from '../store/deadlines.js';
import { FAILED, SessionStoreError, storeFailed, type Failed, type FailurePolicy, type StoreAdapter } from '../store/adapter.js';
import { emitLifecycle } from '../request/announcer.js';
import { refOf } from '../session-id.js';
import type { Stamp } from '../request/sign-in.js';
import type { UserSessionIndex } from './user-index.js';

export interface KeeperOptions {
  /** 0: no bound */
  maxSessionsPerUser: number;
  /** refuse a new sign-in over maxSessionsPerUser instead of evicting the oldest session */
  refuseOverLimit: boolean;
  absoluteMaxAge: number | undefined;
  /** store TTL of browser-session (maxAge 'session') sessions */
  sessionTTL: number;
  /** least time between two index writes of a session this process saw ("last seen", the revocation vet) */
  touchInterval: number;
  timeout: number;
  failure: FailurePolicy;
}

/** A store session just written, as the index needs it. */
export interface SavedSession {
  id: string;
  user: string | undefined;
  /** the user the id was indexed under before this write */
  previousUser: string | undefined;
  signIn: Stamp | undefined;
  created: number;
  maxAge: number | 'session';
  /** the user as the app set it, for `session:evicted` */
  appUser: string | number | undefined;
}

/** A new sign-in over `maxSessionsPerUser` with `maxSessionsPreventsLogin`: 409, which the login route can answer. */
export class SessionLimitError extends Error {
  readonly status = 409;
  readonly expose = true;
  readonly code = 'SESSION_LIMIT_REACHED';

  constructor(limit: number) {
    super(`This account is signed in on ${limit} devices already (maxSessionsPerUser): sign out of one of them first`);
    this.name = 'SessionLimitError';
  }
}

/**
 * What a request's owner asks of session control: a new sign-in's generation, revocation verdicts, and
 * the per-user index kept in step with store writes and destroys. Index upkeep never fails a request
 * (the session itself was written or destroyed): a failure is `session:error`.
 */
export class IndexKeeper {
  readonly #app: Application;
  readonly #index: UserSessionIndex;
  readonly #options: KeeperOptions;
  /** session id → when this process last wrote its index entry, and the expiry it indexed */
  readonly #seen = new Map<string, { at: number; expiresAt?: number }>();

  constructor(app: Application, index: UserSessionIndex, options: KeeperOptions) {
    this.#app = app;
    this.#index = index;
    this.#options = options;
  }

  /** The user's generation, which a session signed in now is stamped with (the outage policy applies). */
  generation(ctx: Context, user: string): Promise<number | Failed> {
    return this.#checked(ctx, this.#index.generation(user));
  }

  /** Whether a loaded store session is revoked; asked only of sessions this process has not seen within touchInterval. */
  async revokedStoreSession(ctx: Context, id: string, user: string, stamp: number): Promise<boolean | Failed> {
    return !this.#seenRecently(id, Date.now()) && this.#checked(ctx, this.#index.isRevoked(user, refOf(id), stamp));
  }

  /** A store session was written: indexed under its user (and out of a previous user's); false when the index refused it. */
  async saved(ctx: Context, store: StoreAdapter, session: SavedSession): Promise<boolean> {
    const { id, user, previousUser, signIn, maxAge, created } = session;
    // destroyed by another request meanwhile: a late write (as another user's, or nobody's) must not bring it back
    if (previousUser && previousUser !== user && await this.#background(ctx, id, this.#index.signOut(previousUser, refOf(id))) === false) return false;
    if (!user) return true;
    const now = Date.now();
    let expiresAt = now + (typeof maxAge === 'number' ? maxAge : this.#options.sessionTTL);
    if (this.#options.absoluteMaxAge) expiresAt = Math.min(expiresAt, created + this.#options.absoluteMaxAge);
    // the built-in Redis store refuses a late write of a destroyed session itself: one indexed lately needs no write
    if (previousUser === user && store.builtin?.storeName === 'redis' && this.#indexedRecently(id, now, expiresAt)) return true;
    this.#remember(id, now, expiresAt);
    const { maxSessionsPerUser, refuseOverLimit } = this.#options;
    const result = await this.#background(ctx, id, this.#index.upsert(user, {
      sessionId: id, expiresAt, createdAt: created, signedInAt: signIn?.at ?? now, stamp: signIn?.gen ?? 0,
      now, ip: ctx.ip ?? '', userAgent: ctx.get('user-agent') ?? '',
    }, maxSessionsPerUser, refuseOverLimit));
    // not indexed: the revocation vet must not skip this session as seen
    if (typeof result !== 'object') this.#seen.delete(id);
    if (result === 'over-limit') {
      await store.remove(ctx, id);
      throw new SessionLimitError(maxSessionsPerUser);
    }
    if (typeof result !== 'object') return result !== 'revoked';
    for (const evicted of result.evicted) {
      emitLifecycle(this.#app, 'evicted', { ctx, user: session.appUser, reason: 'maxSessionsPerUser', ref: refOf(evicted) });
      await this.#background(ctx, evicted, store.remove(ctx, evicted));
    }
    return true;
  }

  /** A store session this request indexed was destroyed (logout, regenerate): out of the index, with a tombstone. */
  async destroyed(ctx: Context, id: string, user: string): Promise<void> {
    this.#seen.delete(id);
    await this.#background(ctx, id, this.#index.remove(user, refOf(id)));
  }

  /** A request used an indexed session without writing it: its "last seen" (throttled); false when the index does not hold it. */
  async seen(ctx: Context, id: string, user: string): Promise<boolean> {
    const now = Date.now();
    if (this.#seenRecently(id, now)) return true;
    const indexed = await this.#background(ctx, id, this.#index.touch(user, id, now, ctx.ip ?? '', ctx.get('user-agent') ?? ''));
    if (indexed) this.#remember(id, now);
    return indexed !== false;
  }

  /** Destroyed by a "destroy all": a copy the store in use could not destroy is vetted again on its next request. */
  forget(ids: string[]): void {
    for (const id of ids) this.#seen.delete(id);
  }

  #seenRecently(id: string, now: number): boolean {
    const last = this.#seen.get(id);
    return last !== undefined && now - last.at < this.#options.touchInterval;
  }

  /**
   * Indexed by this process less than touchInterval ago, with an expiry at most touchInterval before
   * `expiresAt`: "last seen" is written at most once per interval, and the indexed expiry trails the
   * store's by less than that. A session living less than two intervals is indexed on every save.
   */
  #indexedRecently(id: string, now: number, expiresAt: number): boolean {
    const last = this.#seen.get(id);
    const interval = this.#options.touchInterval;
    return last?.expiresAt !== undefined && now - last.at < interval && expiresAt - now >= 2 * interval &&
      expiresAt >= last.expiresAt && expiresAt - last.expiresAt < interval;
  }

  /** `expiresAt`: what the index holds now; a touch leaves it as it was. */
  #remember(id: string, now: number, expiresAt = this.#seen.get(id)?.expiresAt): void {
    this.#seen.delete(id);
    this.#seen.set(id, { at: now, expiresAt });
    if (this.#seen.size > 10_000) this.#seen.delete(this.#seen.keys().next().value as string);
  }

  /** A call whose answer the request needs: the outage policy applies. */
  async #checked<T>(ctx: Context, work: Promise<T>): Promise<T | Failed> {
    try {
      return await withTimeout(work, this.#options.timeout, 'session revocation check');
    } catch (error) {
      return storeFailed(ctx, this.#options.failure, 'revocation check', error);
    }
  }

  /** Index upkeep: a failure is `session:error` (a store failure reported itself already), never the request's; undefined then. */
  async #background<T>(ctx: Context, id: string, work: Promise<T>): Promise<T | undefined> {
    try {
      const result = await withTimeout(work, this.#options.timeout, 'session control');
      return result === FAILED ? undefined : result;
    } catch (error) {
      if (!(error instanceof SessionStoreError)) storeFailed(ctx, { ...this.#options.failure, policy: 'anonymous' }, 'index', error, id);
      return undefined;
    }
  }
}
