import type { Application, Context } from 'egg';
import { withTimeout } from '../store/deadlines.js';
import { SessionStoreError } from '../store/adapter.js';
import { announceDestroyed, type DestroyReason } from '../request/announcer.js';
import { refOf } from '../session-id.js';
import type { RequestParty } from '../request/setup.js';
import type { IndexKeeper } from './index-keeper.js';
import type { SessionInfo, UserSessionIndex } from './user-index.js';
import type { SessionStore } from '../types.js';

export interface DestroyAllOptions {
  /** ids (from `list()`) of sessions to keep */
  except?: string | string[];
  /** keep the session of the request it runs in, cookie or store (what `ctx.sessions.destroyOthers()` does) */
  exceptCurrent?: boolean;
  /** the request doing it (default: the request it runs in), for the caller check and `session:destroyed` */
  ctx?: Context;
  /** the reason `session:destroyed` gives (default 'destroyAll') */
  reason?: DestroyReason;
}

export interface DestroyAllResult {
  /** store sessions destroyed */
  destroyed: number;
  /** when it ran (information: sessions are revoked by generation, not by time) */
  revokedAt: number;
}

function asUserId(userId: string | number): string {
  const id = typeof userId === 'number' && Number.isFinite(userId) ? String(userId) : userId;
  if (typeof id !== 'string' || !id) throw new TypeError(`[egg-session-plus] a user id must be a non-empty string or a number, got ${String(userId)}`);
  return id;
}

/**
 * `app.sessions`: a user's sessions across devices. Called in a request (egg's `app.currentContext`)
 * it acts from that request's session: one another device signed out meanwhile does nothing.
 */
export class SessionControl {
  readonly #app: Application;
  readonly #index: UserSessionIndex;
  readonly #keeper: IndexKeeper;
  readonly #timeout: number;
  readonly #partyOf: (ctx: Context) => RequestParty | undefined;

  constructor(app: Application, index: UserSessionIndex, keeper: IndexKeeper, timeout: number, partyOf: (ctx: Context) => RequestParty | undefined) {
    this.#app = app;
    this.#index = index;
    this.#keeper = keeper;
    this.#timeout = timeout;
    this.#partyOf = partyOf;
  }

  /** The user's live store sessions, most recently seen first. */
  async list(userId: string | number): Promise<SessionInfo[]> {
    const sessions = await this.#redis(this.#index.list(asUserId(userId)));
    // the user as the app names it: a number stays a number (the index keys it by its string form)
    return sessions.map(({ ref, sessionId: _sessionId, ...info }) => ({ id: ref, userId, ...info }));
  }

  /** Destroys one session of the user by its id from `list()`; false when there is no such session. */
  async destroy(userId: string | number, id: string, requestCtx?: Context): Promise<boolean> {
    const user = asUserId(userId);
    const ctx = requestCtx ?? this.#app.currentContext;
    const caller = ctx && this.#partyOf(ctx)?.caller(user);
    if (caller === 'gone') return false;
    const sessionId = await this.#redis(this.#index.remove(user, id, caller));
    if (!sessionId) return false;
    await this.#destroyStored([ sessionId ]);
    announceDestroyed(this.#app, { ctx, user: userId, reason: 'destroy', ref: id });
    return true;
  }

  /** Destroys all sessions of the user but the kept ones; cookie sessions signed in before are refused from their next request. */
  async destroyAll(userId: string | number, options: DestroyAllOptions = {}): Promise<DestroyAllResult> {
    const user = asUserId(userId);
    const ctx = options.ctx ?? this.#app.currentContext;
    const party = ctx && this.#partyOf(ctx);
    const caller = party?.caller(user);
    const revokedAt = Date.now();
    const none = async () => ({ destroyed: 0, revokedAt: await this.revokedAt(user) ?? 0 });
    if (caller === 'gone') return none();
    const keep = options.except === undefined ? [] : [ options.except ].flat();
    if (options.exceptCurrent && caller?.ref) keep.push(caller.ref);
    let destroyed = 0;
    const result = await this.#redis(this.#index.revokeAll(user, keep, caller, async sessionIds => {
      destroyed += sessionIds.length;
      this.#keeper.forget(sessionIds);
      await this.#destroyStored(sessionIds);
      for (const sessionId of sessionIds) {
        announceDestroyed(this.#app, { ctx, user: userId, reason: options.reason ?? 'destroyAll', ref: refOf(sessionId) });
      }
    }));
    if (result.gone) return none();
    // the request's own session, when it was still signed in as this user, stays signed in past it
    party?.revoked(user, result.gen, caller?.ref ? result.kept.includes(caller.ref) : Boolean(options.exceptCurrent));
    return { destroyed, revokedAt };
  }

  /** When the user's last "destroy all" ran, if one did. */
  revokedAt(userId: string | number): Promise<number | undefined> {
    return this.#redis(this.#index.revokedAt(asUserId(userId)));
  }

  /** The id `list()` shows for a store session id. */
  idOf(sessionId: string): string {
    return refOf(sessionId);
  }

  /** A Redis call of the public API; a failure is a SessionStoreError (503), as for the store. */
  async #redis<T>(work: Promise<T>): Promise<T> {
    try {
      return await withTimeout(work, this.#timeout, 'session control');
    } catch (error) {
      throw error instanceof SessionStoreError ? error : new SessionStoreError('session control', error);
    }
  }

  async #destroyStored(sessionIds: string[]): Promise<void> {
    const store = this.#app.sessionStore as SessionStore | undefined;
    if (!store || !sessionIds.length) return;
    const ctx = this.#app.createAnonymousContext();
    await Promise.all(sessionIds.map(id => withTimeout(store.destroy(id, { ctx }), this.#timeout, 'session store destroy')));
  }
}
