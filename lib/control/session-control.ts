import type { Application, Context } from 'egg';
import { describeStore } from '../builtin-store.js';
import { SessionStoreError, withTimeout } from '../store/guard.js';
import type { SessionStore, StoredSession } from '../types.js';
import { sessionHandle } from '../redis-keys.js';
import { emitLifecycle, type DestroyReason } from '../lifecycle.js';
import { announceDestroyed, markSessionGone, peekRequestSession } from '../request-session.js';
import { appUserOf, AUTH_AT, CREATED, numberField, signedInBefore, userOf } from '../session-meta.js';
import { peekRequestState, requestState } from './state.js';
import type { Caller, RevokeAllResult, SessionInfo, UserSessionIndex } from './user-index.js';

export interface SessionControlOptions {
  userKey: string;
  maxSessionsPerUser?: number;
  absoluteMaxAge?: number;
  /** store TTL of browser-session (maxAge 'session') sessions */
  sessionTTL: number;
  /** how long a "destroy all" is remembered for cookie sessions */
  revocationTTL: number;
  /** least time between two "last seen" updates of a session that was not saved */
  touchInterval: number;
  /** Redis command timeout (config.session.storeTimeout) */
  timeout: number;
}

export interface DestroyAllOptions {
  /** ids (from `list()`) of sessions to keep, e.g. the current one */
  except?: string | string[];
  /** the request doing it, for the `session:destroyed` events */
  ctx?: Context;
  /** the reason `session:destroyed` gives (default 'destroyAll') */
  reason?: DestroyReason;
}

export interface DestroyAllResult {
  /** store sessions destroyed */
  destroyed: number;
  /** the recorded revocation time: cookie sessions signed in at or before it are rejected */
  revokedAt: number;
}

interface IndexUpdate {
  /** when this process last wrote the session's index entry (upsert or touch) */
  at: number;
  /** the expiry it indexed, when this process upserted it */
  expiresAt: number | undefined;
}

const MAX_TOUCH_RECORDS = 10_000;

/**
 * The built-in Redis store writes a session this request loaded back only while it exists (SET XX),
 * so a session destroyed while the request ran cannot come back through a skipped index refusal.
 * Other stores may write it back: their saves always go through the index, which refuses it.
 */
function writesOnlyLiveSessions(store: SessionStore): boolean {
  const backing = (store as { store?: SessionStore }).store ?? store;
  return describeStore(backing) === 'redis';
}

/** The request running now (egg's AsyncLocalStorage), for `app.sessions` calls made without `ctx`. */
function currentContextOf(app: Application): Context | undefined {
  return (app as { currentContext?: Context }).currentContext;
}

function asUserId(userId: string | number): string {
  const id = typeof userId === 'number' && Number.isFinite(userId) ? String(userId) : userId;
  if (typeof id !== 'string' || !id) throw new TypeError(`[egg-session-plus] a user id must be a non-empty string or a number, got ${String(userId)}`);
  return id;
}

/**
 * `app.sessions`: a user's sessions across devices. Store sessions that carry a user
 * (`ctx.session[config.session.userKey]`) are indexed in Redis when they are saved; cookie
 * sessions cannot be listed, but "destroy all" revokes them too.
 */
export class SessionControl {
  readonly #app: Application;
  readonly #index: UserSessionIndex;
  readonly #options: SessionControlOptions;
  /** session id -> last index update from this process: throttles "last seen" writes */
  readonly #touched = new Map<string, IndexUpdate>();

  constructor(app: Application, index: UserSessionIndex, options: SessionControlOptions) {
    this.#app = app;
    this.#index = index;
    this.#options = options;
  }

  get userKey(): string {
    return this.#options.userKey;
  }

  /** The user's live store sessions, most recently seen first. */
  async list(userId: string | number): Promise<SessionInfo[]> {
    const user = asUserId(userId);
    const sessions = await this.#redis(this.#index.list(user));
    // the user as the app names it: a number stays a number (the index keys it by its string form)
    return sessions.map(({ handle, sessionId: _sessionId, ...info }) => ({ id: handle, userId, ...info }));
  }

  /** Destroys one session of the user by its id from `list()`; false when there is no such session. */
  async destroy(userId: string | number, id: string, requestCtx?: Context): Promise<boolean> {
    const user = asUserId(userId);
    const ctx = requestCtx ?? currentContextOf(this.#app);
    const caller = this.#callerOf(ctx, user);
    if (caller === 'gone') return false;
    const sessionId = await this.#redis(this.#index.remove(user, id, caller));
    if (!sessionId) return false;
    await this.#destroyStored([ sessionId ]);
    announceDestroyed(this.#app, { ctx, user: userId, reason: 'destroy', ref: id });
    return true;
  }

  /**
   * Destroys all sessions of the user but `except`, and records the revocation time so that
   * cookie sessions of the user signed in before now are rejected from their next request.
   */
  async destroyAll(userId: string | number, options: DestroyAllOptions = {}, keepsThisCookieSession = false): Promise<DestroyAllResult> {
    const keep = options.except === undefined ? [] : [ options.except ].flat();
    const user = asUserId(userId);
    const ctx = options.ctx ?? currentContextOf(this.#app);
    const caller = this.#callerOf(ctx, user);
    if (caller === 'gone') return { destroyed: 0, revokedAt: await this.revokedAt(user) ?? 0 };
    const revoked = await this.#redis(this.#index.revokeAll(user, keep, this.#options.revocationTTL, caller));
    const { revokedAt, sessionIds } = revoked;
    if (revoked.gone) return { destroyed: 0, revokedAt };
    if (ctx) this.#signInPastRevocation(ctx, user, revoked, keepsThisCookieSession);
    await this.#destroyStored(sessionIds);
    // a copy the store in use could not destroy (one the app switched away from) is vetted on its next request
    for (const sessionId of sessionIds) this.#touched.delete(sessionId);
    for (const sessionId of sessionIds) {
      announceDestroyed(this.#app, { ctx, user: userId, reason: options.reason ?? 'destroyAll', ref: sessionHandle(sessionId) });
    }
    return { destroyed: sessionIds.length, revokedAt };
  }

  /** When the user last had all sessions destroyed, while that is still remembered. */
  revokedAt(userId: string | number): Promise<number | undefined> {
    return this.#redis(this.#index.revokedAt(asUserId(userId)));
  }

  /** The id `list()` shows for a store session id. */
  idOf(sessionId: string): string {
    return sessionHandle(sessionId);
  }

  /** A store session was written: (re)index it under its user, drop it from a previous user's index. */
  async trackSave(ctx: Context, key: string, value: StoredSession, maxAge: number | 'session' | undefined, store: SessionStore): Promise<void> {
    const state = requestState(ctx);
    state.written = true;
    const user = userOf(value, this.#options.userKey);
    const previous = key === state.storeKey ? state.indexedUser : undefined;
    state.storeKey = key;
    state.indexedUser = user;
    if (previous && previous !== user) {
      const signedOut = await this.#background(ctx, key, this.#index.signOut(previous, sessionHandle(key)));
      // destroyed by another request while this one ran: its late write (as another user's, or nobody's) must not bring it back
      if (signedOut === false) {
        markSessionGone(ctx, key, true);
        await this.#background(ctx, key, Promise.resolve(store.destroy(key, { ctx })));
        return;
      }
    }
    if (!user) return;
    const now = Date.now();
    const created = numberField(value, CREATED) ?? now;
    let expiresAt = now + (typeof maxAge === 'number' ? maxAge : this.#options.sessionTTL);
    if (this.#options.absoluteMaxAge) expiresAt = Math.min(expiresAt, created + this.#options.absoluteMaxAge);
    if (previous === user && this.#indexedRecently(key, now, expiresAt) && writesOnlyLiveSessions(store)) return;
    this.#remember(key, now, expiresAt);
    const result = await this.#background(ctx, key, this.#index.upsert(user, {
      sessionId: key,
      expiresAt,
      createdAt: created,
      signedInAt: numberField(value, AUTH_AT) ?? now,
      now,
      ip: ctx.ip ?? '',
      userAgent: ctx.get('user-agent') ?? '',
    }, this.#options.maxSessionsPerUser));
    // not indexed (the write failed): the revocation check must not skip this session as seen
    if (!result) {
      this.#touched.delete(key);
      return;
    }
    // refused: the session was destroyed while this request ran, and its late write must not bring it back
    for (const id of result.evicted) {
      emitLifecycle(this.#app, 'evicted', { ctx, user: appUserOf(value, this.#options.userKey), reason: 'maxSessionsPerUser', ref: sessionHandle(id) });
    }
    // refused: destroyed by another request while this one ran
    if (!result.accepted) markSessionGone(ctx, key, true);
    const doomed = result.accepted ? result.evicted : [ key, ...result.evicted ];
    await Promise.all(doomed.map(id => this.#background(ctx, id, Promise.resolve(store.destroy(id, { ctx })))));
  }

  /** A store session was destroyed through koa-session (`ctx.session = null`, regenerate). */
  async trackDestroy(ctx: Context, key: string): Promise<void> {
    const state = requestState(ctx);
    if (key !== state.storeKey) return;
    state.destroyed = true;
    const user = state.indexedUser;
    state.indexedUser = undefined;
    if (user) await this.#background(ctx, key, this.#index.remove(user, sessionHandle(key)));
  }

  /**
   * Before the handler, for a loaded store session with a user that this process has not seen within
   * `touchInterval`: true when the index does not hold it and its user had all sessions revoked at or
   * after it signed in (an unknown sign-in time counts as 0). Sessions are revoked through the index;
   * this catches the ones the index never held (written by another store before the switch, or while
   * an index write failed), and leaves alone the ones a "destroy all" kept.
   */
  async isRevokedStoreSession(key: string, session: object): Promise<boolean> {
    const user = userOf(session, this.#options.userKey);
    if (!user || this.#seenRecently(key, Date.now())) return false;
    return this.#index.isRevoked(user, key, numberField(session, AUTH_AT) ?? 0);
  }

  /**
   * After a request that used an indexed session without saving it: update "last seen" (throttled).
   * A session the index does not hold is indexed now (or, refused, destroyed), so that "log out
   * everywhere" finds every live session.
   */
  async touch(ctx: Context, store: SessionStore | undefined): Promise<void> {
    const state = peekRequestState(ctx);
    if (!state?.storeKey || !state.indexedUser || state.written || state.destroyed) return;
    const now = Date.now();
    if (this.#seenRecently(state.storeKey, now)) return;
    const indexed = await this.#background(ctx, state.storeKey,
      this.#index.touch(state.indexedUser, state.storeKey, now, ctx.ip ?? '', ctx.get('user-agent') ?? ''));
    if (indexed) this.#remember(state.storeKey, now);
    else if (indexed === false && store && ctx.session) {
      await this.trackSave(ctx, state.storeKey, ctx.session as unknown as StoredSession, ctx.sessionOptions.maxAge, store);
    }
  }

  #seenRecently(sessionId: string, now: number): boolean {
    const last = this.#touched.get(sessionId);
    return last !== undefined && now - last.at < this.#options.touchInterval;
  }

  /**
   * Whether this process indexed the session less than `touchInterval` ago, with an expiry at most
   * `touchInterval` before `expiresAt`. A save of a session that still has the user it was loaded
   * with then skips the index write, as a read skips its touch: "last seen" is updated at most
   * once per `touchInterval`, and the indexed expiry trails the store's by less than that (a
   * shorter or much longer maxAge is written at once). Nothing else an upsert does applies to a
   * session indexed under that user already (no eviction, no revocation check), and a late write
   * of a session destroyed meanwhile is refused by the store itself (writesOnlyLiveSessions).
   */
  #indexedRecently(sessionId: string, now: number, expiresAt: number): boolean {
    const last = this.#touched.get(sessionId);
    if (last?.expiresAt === undefined) return false;
    const interval = this.#options.touchInterval;
    // a session living less than two intervals is indexed on every save: its entry must not lapse while it lives
    return now - last.at < interval && expiresAt - now >= 2 * interval && expiresAt >= last.expiresAt && expiresAt - last.expiresAt < interval;
  }

  /** `expiresAt` is what the index holds now; a touch leaves it as it was. */
  #remember(sessionId: string, now: number, expiresAt = this.#touched.get(sessionId)?.expiresAt): void {
    this.#touched.delete(sessionId);
    this.#touched.set(sessionId, { at: now, expiresAt });
    if (this.#touched.size > MAX_TOUCH_RECORDS) this.#touched.delete(this.#touched.keys().next().value as string);
  }

  /**
   * The session the request acts from, when it is a session of `user` (the index then refuses what it
   * asks for once another request destroyed or revoked it); 'gone' when this request found it so.
   */
  #callerOf(ctx: Context | undefined, user: string): Caller | 'gone' | undefined {
    const own = ctx && peekRequestSession(ctx);
    const signIn = own?.loadedSignIn();
    if (!own || !signIn || signIn.user !== user) return;
    // a cookie session by its sign-in time; a store session by its tombstone (a kept one may be older than the revocation)
    if (!signIn.id) return { signedInAt: signIn.at };
    const dead = own.deadIds?.get(signIn.id);
    if (dead === 'elsewhere') return 'gone';
    // rotated by this request's regenerate() while it lived: the new id stands for it
    const id = dead === 'here' ? own.externalKey : signIn.id;
    return id ? { handle: sessionHandle(id) } : undefined;
  }

  /**
   * After a "destroy all" in a request: a user signed in later in it counts as signed in after the
   * revocation; the user the request's session was loaded with only while that session was still
   * signed in (not revoked or destroyed by another request meanwhile), and it is saved at once when it
   * was kept (`except`, `destroyOthers()`). A session revoked before cannot save itself this way.
   */
  #signInPastRevocation(ctx: Context, user: string, revoked: RevokeAllResult, keepsThisCookieSession: boolean): void {
    const own = peekRequestSession(ctx);
    if (!own) return;
    const { revokedAt, previousRevokedAt, keptHandles, sessionIds } = revoked;
    own.signInsAfter(revokedAt);
    const signIn = own.loadedSignIn();
    if (signIn?.user !== user) return;
    const handle = own.store && own.externalKey ? sessionHandle(own.externalKey) : undefined;
    const kept = handle ? keptHandles.includes(handle) : keepsThisCookieSession;
    const live = handle ? kept || sessionIds.includes(own.externalKey!) : !signedInBefore(signIn.at, previousRevokedAt);
    if (live) own.confirmSignIn(revokedAt + 1, kept);
  }

  /** A Redis call of the public API; a failure is a SessionStoreError (503), as for the store. */
  #redis<T>(work: Promise<T>): Promise<T> {
    return withTimeout(work, this.#options.timeout, 'session control', error => {
      throw new SessionStoreError('session control', error);
    });
  }

  /**
   * Index upkeep during a request never fails the request: the session itself was saved or
   * destroyed. A failure is reported as `session:error`.
   */
  async #background<T>(ctx: Context, key: string, work: Promise<T>): Promise<T | undefined> {
    try {
      return await this.#redis(work);
    } catch (error) {
      this.#app.emit('session:error', { key, error: error instanceof Error ? error : new Error(String(error)), ctx, operation: 'index' });
      return undefined;
    }
  }

  async #destroyStored(sessionIds: string[]): Promise<void> {
    const store = this.#app.sessionStore as SessionStore | undefined;
    if (!store || !sessionIds.length) return;
    const ctx = this.#app.createAnonymousContext();
    await Promise.all(sessionIds.map(id => withTimeout(store.destroy(id, { ctx }), this.#options.timeout, 'session store destroy')));
  }
}
