import type { Application, Context } from 'egg';
import { appUserOf, userOf } from '../session-meta.js';
import type { DestroyAllResult, SessionControl } from './session-control.js';
import { sessionControlOf } from './setup.js';
import { isAnonymousSession, requestSessionOf } from '../request-session.js';
import { SessionStoreError } from '../store/guard.js';
import type { SessionInfo } from './user-index.js';

/**
 * `ctx.sessions`: the signed-in user's sessions, seen from one of them ("manage your devices").
 * The user is `ctx.session[config.session.userKey]`.
 */
export class ContextSessions {
  readonly #ctx: Context;

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  get #control(): SessionControl {
    const control = sessionControlOf(this.#ctx.app as Application);
    if (!control) return (this.#ctx.app as unknown as { sessions: SessionControl }).sessions; // throws the explanation
    return control;
  }

  /** The user of this request's session, if it carries one. */
  get userId(): string | undefined {
    return userOf(this.#ctx.session, this.#control.userKey);
  }

  /** The id `list()` gives this request's session (store sessions only), also after `regenerate()` gave it a new one. */
  get id(): string | undefined {
    // the owner's id, not koa-session's Session#externalKey, which keeps the id the session was loaded with
    const owner = requestSessionOf(this.#ctx);
    const key = owner.store && this.#ctx.session ? owner.externalKey : undefined;
    return key ? this.#control.idOf(key) : undefined;
  }

  /** The user as the app set it (a number stays a number in what `app.sessions` returns and announces). */
  #requireUser(action: string): string | number {
    const user = appUserOf(this.#ctx.session, this.#control.userKey);
    // the store failed under onStoreError 'anonymous': the signed-in user is unknown, as it is to Redis
    if (user === undefined && isAnonymousSession(this.#ctx)) throw new SessionStoreError(`ctx.sessions.${action}`, new Error('the session store did not answer'));
    // 401, not 500: a request whose session was signed out meanwhile (by another device) lands here too
    if (user === undefined) throw Object.assign(new Error(`[egg-session-plus] ctx.sessions.${action}() needs a signed-in session (ctx.session.${this.#control.userKey})`), { status: 401, expose: true });
    return user;
  }

  /** The user's sessions, this one marked `current: true`; [] when no user is signed in. */
  async list(): Promise<SessionInfo[]> {
    const user = appUserOf(this.#ctx.session, this.#control.userKey);
    if (user === undefined) return [];
    const current = this.id;
    const sessions = await this.#control.list(user);
    return sessions.map(session => ({ ...session, current: session.id === current }));
  }

  /** Signs the user out of one of their sessions; this one too when `id` is this one's. */
  async destroy(id: string): Promise<boolean> {
    const user = this.#requireUser('destroy');
    if (id === this.id) {
      requestSessionOf(this.#ctx).destroyReason = 'destroy';
      this.#ctx.session = null;
      return true;
    }
    return this.#control.destroy(user, id, this.#ctx);
  }

  /** "Log out everywhere else": destroys and revokes every other session of the user; the same result as `app.sessions.destroyAll()`. */
  async destroyOthers(): Promise<DestroyAllResult> {
    const user = this.#requireUser('destroyOthers');
    const current = this.id;
    // this session is kept: a store session by its id, a cookie session by a sign-in time moved past the revocation
    return this.#control.destroyAll(user, { except: current ? [ current ] : [], ctx: this.#ctx, reason: 'destroyOthers' }, !current);
  }

  /** "Log out everywhere", this session included; the same result as `app.sessions.destroyAll()`. */
  async destroyAll(): Promise<DestroyAllResult> {
    const user = this.#requireUser('destroyAll');
    const result = await this.#control.destroyAll(user, { ctx: this.#ctx, reason: 'destroyAll' });
    requestSessionOf(this.#ctx).destroyReason = 'destroyAll';
    this.#ctx.session = null;
    return result;
  }
}
