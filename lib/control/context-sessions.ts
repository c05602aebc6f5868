import type { Context } from 'egg';
import { SessionStoreError } from '../store/adapter.js';
import { refOf } from '../session-id.js';
import type { RequestSession } from '../request/owner.js';
import { needsSessionControl, type DestroyAllResult, type SessionControl } from './session-control.js';
import type { SessionInfo } from './user-index.js';

/** `ctx.sessions`: the signed-in user's sessions (the user `config.session.userKey` names), seen from one of them. */
export class ContextSessions {
  readonly #ctx: Context;
  readonly #owner: RequestSession;
  readonly #control: SessionControl | undefined;
  constructor(ctx: Context, owner: RequestSession, control: SessionControl | undefined) {
    this.#ctx = ctx;
    this.#owner = owner;
    this.#control = control;
  }
  get userId(): string | undefined { return this.#owner.userOfSession()?.toString(); }
  /** When the user signed in (ms since the epoch), from the plugin's own record; undefined when nobody is. */
  get signedInAt(): number | undefined { return this.#owner.signedInAt(); }
  /** Whether the user signed in at most `ms` ago: for sensitive actions (OIDC's max_age). */
  signedInWithin(ms: number): boolean {
    if (typeof ms !== 'number' || !(ms >= 0)) throw new TypeError(`[egg-session-plus] ctx.sessions.signedInWithin(ms) takes a non-negative number of milliseconds, got ${String(ms)}`);
    const at = this.signedInAt;
    return at !== undefined && Date.now() - at <= ms;
  }
  /** The id `list()` gives this request's session (store sessions only), also after `regenerate()` gave it a new one. */
  get id(): string | undefined {
    const { store, externalKey } = this.#owner;
    return store && this.#ctx.session && externalKey ? refOf(externalKey) : undefined;
  }
  /** The user's sessions, this one marked `current: true`; [] when no user is signed in. */
  async list(): Promise<SessionInfo[]> {
    const control = this.#controlFor('list');
    // the user as the app set it: a number stays a number in what app.sessions returns
    const user = this.#owner.userOfSession();
    if (user === undefined) return [];
    const current = this.id;
    return (await control.list(user)).map(session => ({ ...session, current: session.id === current }));
  }
  /** Signs the user out of one of their sessions, this one included. */
  async destroy(id: string): Promise<boolean> {
    const [ control, user ] = this.#signedIn('destroy');
    if (id !== this.id) return control.destroy(user, id, this.#ctx);
    this.#logOut('destroy');
    return true;
  }
  destroyOthers(): Promise<DestroyAllResult> {
    const [ control, user ] = this.#signedIn('destroyOthers');
    return control.destroyAll(user, { ctx: this.#ctx, reason: 'destroyOthers', exceptCurrent: true });
  }
  async destroyAll(): Promise<DestroyAllResult> {
    const [ control, user ] = this.#signedIn('destroyAll');
    const result = await control.destroyAll(user, { ctx: this.#ctx, reason: 'destroyAll' });
    this.#logOut('destroyAll');
    return result;
  }
  #logOut(reason: 'destroy' | 'destroyAll'): void { this.#owner.announcer.destroyReason = reason; this.#ctx.session = null; }
  #controlFor(method: string): SessionControl {
    if (!this.#control) throw needsSessionControl(`ctx.sessions.${method}()`);
    return this.#control;
  }
  #signedIn(method: string): [ SessionControl, string | number ] {
    const control = this.#controlFor(method);
    const user = this.#owner.userOfSession();
    if (user !== undefined) return [ control, user ];
    // the store failed under onStoreError 'anonymous': the signed-in user is unknown, as it is to Redis
    if (this.#owner.anonymous) throw new SessionStoreError(`ctx.sessions.${method}`, new Error('the session store did not answer'));
    // 401, not 500: a request whose session was signed out meanwhile (by another device) lands here too
    throw Object.assign(new Error(`[egg-session-plus] ctx.sessions.${method}() needs a signed-in session`), { status: 401, expose: true });
  }
}
