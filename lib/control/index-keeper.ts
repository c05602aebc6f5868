import type { Application, Context } from 'egg';
import type { ResolvedSessionConfig } from '../config.js';
import { withTimeout } from '../store/deadlines.js';
import { FAILED, SessionStoreError, storeFailed, type Failed, type StoreAdapter } from '../store/adapter.js';
import { emitLifecycle } from '../request/announcer.js';
import { refOf } from '../session-id.js';
import type { StoreWrite } from '../request/store-session.js';
import { callerArgs, entryJson, sessionIdsOf, type UserSessionIndex } from './user-index.js';

/** A store session just written (`previousUser`: the user its id was indexed under before). */
export type SavedSession = Omit<StoreWrite, 'changed' | 'rolling'> & { id: string; previousUser: string | undefined };

/** A new sign-in over `maxSessionsPerUser` with `maxSessionsPreventsLogin`: 409, which the login route can answer. */
export class SessionLimitError extends Error {
  readonly status = 409;
  readonly expose = true;
  readonly code = 'SESSION_LIMIT_REACHED';
  override name = 'SessionLimitError';
  constructor(limit: number) { super(`This account is signed in on ${limit} devices already (maxSessionsPerUser): sign out of one of them first`); }
}

/** What requests ask of session control. Index upkeep never fails a request (the session itself was written or destroyed). */
export class IndexKeeper {
  readonly #app: Application;
  readonly #index: UserSessionIndex;
  readonly #config: ResolvedSessionConfig;
  readonly #maxSessions: number; // 0: no bound
  readonly #touchInterval: number; // least time between two index writes of a session this process saw ("last seen", the revocation vet)
  readonly #seen = new Map<string, { at: number; expiresAt?: number }>(); // id → when this process last indexed it, at what expiry
  constructor(app: Application, index: UserSessionIndex, config: ResolvedSessionConfig) {
    this.#app = app;
    this.#index = index;
    this.#config = config;
    this.#maxSessions = Number.isFinite(config.maxSessionsPerUser) ? config.maxSessionsPerUser : 0;
    const maxAge = typeof config.maxAge === 'number' ? config.maxAge : Infinity;
    // an index entry lives maxAge (+10 s), or sessionTTL for a browser-session one: refreshed well before that
    this.#touchInterval = Math.min(config.control.touchInterval, Math.floor(config.redis.sessionTTL / 2), Math.floor(maxAge / 2));
  }
  async generation(ctx: Context, user: string): Promise<number | Failed> { return await this.#checked(ctx, this.#index.revocation(user, 'gen')) ?? 0; }
  /** Asked only of sessions this process has not seen within touchInterval. */
  async revokedStoreSession(ctx: Context, id: string, user: string, stamp: number): Promise<boolean | Failed> {
    if (this.#seenRecently(id, Date.now())) return false;
    const revoked = await this.#checked(ctx, this.#index.run('isRevoked', user, refOf(id), stamp));
    return revoked === FAILED ? revoked : revoked === 1;
  }
  /** Indexes a written store session under its user (and out of a previous user's); false when the index refused it. */
  async saved(ctx: Context, store: StoreAdapter, session: SavedSession): Promise<boolean> {
    const { id, user, previousUser, signIn, maxAge, created } = session;
    const ref = refOf(id);
    // 0: destroyed by another request meanwhile; a late write (as another user's, or nobody's) must not bring it back
    if (previousUser && previousUser !== user && await this.#background(ctx, id, this.#index.run('signOut', previousUser, ref, Date.now())) === 0) {
      return false;
    }
    if (!user) return true;
    const now = Date.now();
    const { absoluteMaxAge, redis } = this.#config;
    let expiresAt = now + (typeof maxAge === 'number' ? maxAge : redis.sessionTTL);
    if (absoluteMaxAge) expiresAt = Math.min(expiresAt, created + absoluteMaxAge);
    // the built-in Redis store refuses a late write of a destroyed session itself: one indexed lately needs no write
    if (previousUser === user && store.builtin?.storeName === 'redis' && this.#indexedRecently(id, now, expiresAt)) return true;
    this.#remember(id, now, expiresAt);
    const [ ip, userAgent ] = visitor(ctx);
    const entry = entryJson(id, { createdAt: created, signedInAt: signIn?.at ?? now, lastSeenAt: now, ip, userAgent });
    const reply = await this.#background(ctx, id, this.#index.run('upsert', user, ref, expiresAt, entry, now, signIn?.gen ?? 0, this.#maxSessions,
      this.#config.maxSessionsPreventsLogin ? 1 : 0)) as unknown[] | undefined;
    const [ status, ...evicted ] = reply ?? [];
    if (status === 1) {
      for (const evictedId of sessionIdsOf(evicted)) {
        emitLifecycle(this.#app, 'evicted', { ctx, user: session.appUser, reason: 'maxSessionsPerUser', ref: refOf(evictedId) });
        await this.#background(ctx, evictedId, store.remove(ctx, evictedId));
      }
      return true;
    }
    // not indexed: the revocation vet must not skip this session as seen
    this.#seen.delete(id);
    if (status === -1) {
      await store.remove(ctx, id);
      throw new SessionLimitError(this.#maxSessions);
    }
    return status !== 0;
  }
  /** A store session this request indexed was destroyed (logout, regenerate): out of the index, with a tombstone. */
  async destroyed(ctx: Context, id: string, user: string): Promise<void> {
    this.#seen.delete(id);
    await this.#background(ctx, id, this.#index.run('remove', user, refOf(id), Date.now(), ...callerArgs()));
  }
  /** "Last seen" of a session a request used without writing it (throttled); false when the index does not hold it. */
  async seen(ctx: Context, id: string, user: string): Promise<boolean> {
    const now = Date.now();
    if (this.#seenRecently(id, now)) return true;
    const touched = await this.#background(ctx, id, this.#index.run('touch', user, refOf(id), now, ...visitor(ctx)));
    if (touched === 1) this.#remember(id, now);
    return touched !== 0;
  }
  /** Destroyed through `app.sessions`: a copy the store in use could not destroy is vetted again on its next request. */
  forget(ids: string[]): void { for (const id of ids) this.#seen.delete(id); }
  #seenRecently(id: string, now: number): boolean { return now - (this.#seen.get(id)?.at ?? -Infinity) < this.#touchInterval; }
  // "last seen" at most once per interval, the indexed expiry trailing the store's by less; one living < 2 intervals: every save
  #indexedRecently(id: string, now: number, expiresAt: number): boolean {
    const last = this.#seen.get(id);
    const interval = this.#touchInterval;
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
  #checked<T>(ctx: Context, work: Promise<T>): Promise<T | Failed> {
    const { onStoreError: policy, key, storeTimeout } = this.#config;
    return withTimeout(work, storeTimeout, 'session revocation check').catch(error => storeFailed(ctx, { policy, key }, 'revocation check', error));
  }
  /** Index upkeep: a failure is `session:error`, never the request's; undefined then. */
  async #background<T>(ctx: Context, id: string, work: Promise<T>): Promise<T | undefined> {
    const result = await withTimeout(work, this.#config.storeTimeout, 'session control').catch((error): Failed => {
      // a store failure reported itself already
      if (!(error instanceof SessionStoreError)) storeFailed(ctx, { policy: 'anonymous', key: this.#config.key }, 'index', error, id);
      return FAILED;
    });
    return result === FAILED ? undefined : result;
  }
}

function visitor(ctx: Context): [ string, string ] {
  return [ ctx.ip ?? '', (ctx.get<string | undefined>('user-agent') ?? '').slice(0, 256) ];
}
