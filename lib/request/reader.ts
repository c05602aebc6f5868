import { debuglog } from 'node:util';
import type { Context } from 'egg';
import { ContextSession, type KoaSession } from './koa-base.js';
import { SignIn } from './sign-in.js';
import { emitLifecycle } from './announcer.js';
import { hiddenOf, verdictOn, type Hidden, type Verdict } from './hidden.js';
import { StoreSession } from './store-session.js';
import { CookieSession } from './cookie-session.js';
import { FAILED, StoreAdapter } from '../store/adapter.js';
import type { JsonObject } from '../json.js';
import { refOf } from '../session-id.js';
import type { SessionStore } from '../types.js';
import type { OwnerSettings } from './setup.js';

export const debug = debuglog('egg-session-plus');

// the data of app.mockSession / app.mockContext({ session }): only app/extend/application.unittest.ts sets it (unittest env only)
export const MOCKED_SESSION = Symbol('egg-session-plus#mockedSession');
const adapters = new WeakMap<SessionStore, StoreAdapter>();

// The read side of a request's owner (owner.ts is the write side): koa-session's ContextSession with the store or cookie part, the load, the verdict,
// and what the write side keeps using: the hidden fields and creation time as read, the app data's JSON as read (`loadedText`; undefined: exists
// nowhere yet), the sign-in.
export class SessionReader extends ContextSession {
  anonymous = false; // the store failed under `onStoreError: 'anonymous'`: nothing is written
  guarded = false; // the middleware ran: with session control, an unguarded route reads no signed-in cookie session
  protected readonly settings: OwnerSettings;
  protected readonly storeSession: StoreSession | undefined;
  protected readonly cookieSession: CookieSession | undefined;
  protected signIn: SignIn | undefined;
  protected hidden: Hidden = {};
  protected created: number | undefined;
  protected loadedText: string | undefined;
  protected accepted: Verdict | undefined;
  protected revokedAtLoad = false;
  protected mustSave = false;
  protected unchecked = false;
  userOfSession(): string | number | undefined { return this.settings.appUser(this.get()); }
  constructor(ctx: Context, options: Record<string, any>, settings: OwnerSettings) {
    super(ctx, options);
    this.settings = settings;
    const store = options.ContextStore ? this.store as SessionStore : settings.store.current(ctx);
    let adapter = store && adapters.get(store);
    if (store && !adapter) adapters.set(store, adapter = new StoreAdapter(store, settings.store));
    if (adapter) this.storeSession = new StoreSession(ctx, this.opts, adapter, settings.control, settings.ids);
    else this.cookieSession = new CookieSession(ctx, this.opts, settings.cookie);
    // koa-session's get() and create() tell store sessions by this
    this.store = this.storeSession;
  }
  /** Before the handler: a store session is read and vetted; a signed-in cookie session checked against revocations. */
  async load(): Promise<void> {
    this.guarded = true;
    if (this.#mocked()) return;
    if (this.storeSession) return this.#loadFromStore(this.storeSession);
    const { control } = this.settings;
    const revoked = control && await this.cookieSession!.revoked(control);
    if (revoked === FAILED) this.anonymous = true;
    else if (revoked) this.#revokedAtLoad(revoked);
  }
  /** a mocked session first (app.mockContext: a context the middleware never loaded) */
  get(): KoaSession | null {
    if (this.session === undefined) this.#mocked();
    return super.get();
  }
  initFromCookie(): void {
    const opened = this.cookieSession!.read();
    if (!opened || this.anonymous || !this.valid(opened.data)) return this.create();
    this.unchecked = Boolean(this.settings.control && !this.guarded && this.accepted!.user);
    if (this.unchecked) return this.create();
    this.#loaded(opened.data as JsonObject, undefined, opened.appText);
    if (opened.stale) this.mustSave = true;
  }
  valid(data: unknown, key?: string): boolean {
    const { event } = this.accepted = verdictOn(data, this.revokedAtLoad, this.ctx, this.settings.verdict);
    if (!event) return true;
    debug('%s session %s', event, key ? `ref:${refOf(key)}` : 'cookie');
    this.emit(event, { key, value: data, ctx: this.ctx });
    return false;
  }
  /** A mocked session is new, as if the app had just set it: saved at the end of the request, its user signed in then. */
  #mocked(): boolean {
    const data = Reflect.get(this.ctx.app, MOCKED_SESSION) as JsonObject | undefined;
    if (data && this.session === undefined) this.create(data);
    return data !== undefined;
  }
  async #loadFromStore(store: StoreSession): Promise<void> {
    const read = await store.read();
    if (read === FAILED) this.anonymous = true;
    if (!read || read === FAILED || !this.valid(read.value, read.id)) return this.create();
    this.#loaded(read.value!, read.id);
    const vetting = store.loaded(read.id, this.signIn?.loaded, this.created, this.accepted?.user?.app);
    const revoked = vetting && await vetting;
    if (!revoked) return;
    if (revoked === FAILED) this.anonymous = true;
    else this.#revokedAtLoad(this.session as unknown as JsonObject, read.id);
    // a new session: whoever the app sets on it signs in now
    this.loadedText = this.created = this.signIn = undefined;
    this.hidden = {};
    this.create();
  }
  #revokedAtLoad(data: JsonObject, id?: string): void {
    this.revokedAtLoad = true;
    debug('revoked session %s', id ? `ref:${refOf(id)}` : 'cookie');
    emitLifecycle(this.ctx.app, 'revoked', { ctx: this.ctx, user: this.settings.appUser(data), reason: 'revoked', ref: id ? refOf(id) : hiddenOf(data)._ref });
  }
  /** The session from data valid() accepted; its own lifetime (`_maxAge`, `_session`) becomes the request's. */
  #loaded(data: JsonObject, id: string | undefined, appText?: string): void {
    const { hidden, user } = this.accepted!;
    this.hidden = hidden;
    this.created = hidden._created;
    if (hidden._session) this.opts.maxAge = 'session';
    else if (hidden._maxAge! > 0) this.opts.maxAge = hidden._maxAge;
    delete data._maxAge;
    delete data._session;
    this.create(data, id);
    this.loadedText = appText ?? JSON.stringify((this.session as KoaSession).toJSON());
    if (user) this.signIn = new SignIn(user.id, hidden);
  }
}
