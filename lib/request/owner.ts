import { debuglog } from 'node:util';
import type { Context } from 'egg';
import type { KoaContextSessionClass, KoaSession } from './koa-base.js';
import { SignIn, type Stamp } from './sign-in.js';
import { Announcer, emitLifecycle, newCookieRef, type Described } from './announcer.js';
import { hiddenOf, stampHidden, verdictOn, type Hidden, type Verdict } from './hidden.js';
import { StoreSession } from './store-session.js';
import { CookieSession } from './cookie-session.js';
import { FAILED, StoreAdapter } from '../store/adapter.js';
import { refusalOf, type JsonObject } from '../json.js';
import { refOf } from '../session-id.js';
import { settleSessionCookies } from '../cookie/response.js';
import type { Caller } from '../control/user-index.js';
import type { SessionStore } from '../types.js';
import type { OwnerSettings, RequestParty } from './setup.js';

const debug = debuglog('egg-session-plus');

/**
 * The one owner of a request's session: koa-session's ContextSession (the session object, its lazy
 * creation) and every step of the session's life: load and checks, assignment, the change check,
 * commit, the write of the cookie or (through its StoreSession) of the store entry.
 */
export function createOwnerClass(Base: KoaContextSessionClass, settings: OwnerSettings) {
  const { control, size, userOf, appUser } = settings;
  const cookieSettings = { codec: settings.codec, userOf, absoluteMaxAge: settings.absoluteMaxAge, limit: size.limit, maxChunks: settings.maxChunks };
  const adapters = new WeakMap<SessionStore, StoreAdapter>();
  const verdictChecks = { absoluteMaxAge: settings.absoluteMaxAge, userOf, appValid: settings.appValid };

  /**
   * `anonymous`: the store failed under `onStoreError: 'anonymous'`, nothing is written. `guarded`: the
   * middleware runs (with session control a route it skips reads no signed-in cookie session, `#unchecked`).
   * `#hidden`, `#created`: as read or last written, never taken from the session object. `#loadedText`: the
   * app data's JSON as read or last saved. `#replaced`: a store id `ctx.session = null` destroyed, at commit.
   */
  return class RequestSession extends Base implements RequestParty {
    anonymous = false;
    guarded = false;
    sessions: object | undefined;
    /** the user of a session as the app set it, when it is one */
    readonly appUser = appUser;
    readonly #store: StoreSession | undefined;
    readonly #cookie: CookieSession | undefined;
    #announcer: Announcer | undefined;
    #signIn: SignIn | undefined;
    #hidden: Hidden = {};
    #created: number | undefined;
    #loadedText: string | undefined;
    #checked: { data: JsonObject; text: string } | undefined;
    #accepted: Verdict | undefined; // what valid() found, for the session created from it
    #replaced: string | undefined;
    #fresh = false;
    #loggedOut = false;
    #revoked = false;
    #mustSave = false;
    #regenerating = false;
    #unchecked = false;

    constructor(ctx: Context, options: Record<string, any>) {
      super(ctx, options);
      const store = options.ContextStore ? this.store as SessionStore : settings.store.current(ctx);
      let adapter = store && adapters.get(store);
      if (store && !adapter) adapters.set(store, adapter = new StoreAdapter(store, settings.store));
      if (adapter) this.#store = new StoreSession(ctx, this.opts, adapter, control, settings.ids);
      else this.#cookie = new CookieSession(ctx, this.opts, cookieSettings);
      // koa-session's get() and create() tell store sessions (an id from genid) by this
      this.store = this.#store;
    }

    get announcer(): Announcer {
      return this.#announcer ??= new Announcer(this.ctx);
    }

    /** Before the handler: a store session is read and checked; a signed-in cookie session is checked against revocations. */
    async load(): Promise<void> {
      this.guarded = true;
      if (this.#store) return this.#loadFromStore(this.#store);
      const revoked = control && await this.#cookie!.revoked(control);
      if (revoked === FAILED) this.anonymous = true;
      else if (revoked) this.#revokedAtLoad(revoked);
    }

    /** koa-session's lazy read of a cookie session. */
    initFromCookie(): void {
      const opened = this.#cookie!.read();
      if (!opened || this.anonymous || !this.valid(opened.data)) return this.create();
      this.#unchecked = Boolean(control && !this.guarded && this.#accepted!.user);
      if (this.#unchecked) return this.create();
      this.#loaded(opened.data as JsonObject, undefined, opened.appText);
      if (opened.stale) this.#mustSave = true;
    }

    /** koa-session's verdict on loaded data, with the plugin's: the shape, absoluteMaxAge, a revocation, the user, the app's `valid`. */
    valid(data: unknown, key?: string): boolean {
      const { event } = this.#accepted = verdictOn(data, this.#revoked, this.ctx, verdictChecks);
      if (!event) return true;
      debug('%s session %s', event, key ? `ref:${refOf(key)}` : 'cookie');
      this.emit(event, { key, value: data, ctx: this.ctx });
      return false;
    }

    /** `ctx.session = value`: a session destroyed in this request stays dead, so its successor gets a new id. */
    set(value: Record<string, unknown> | null): void {
      if (this.session === undefined) this.get();
      if (value === null && this.#existing()) this.announcer.loggedOut(this.#describe());
      if (value === null) this.#loggedOut = true;
      const replacing = Boolean(value) && this.session === false;
      if (replacing && this.#store && this.externalKey) {
        this.#replaced = this.externalKey;
        this.externalKey = undefined;
      }
      super.set(value);
      if (replacing) {
        this.#loadedText = undefined;
        this.#hidden = {};
        this.#fresh = true;
      }
    }

    /** koa-session's save decision, on one JSON of the app data compared with the JSON read or last saved. */
    _shouldSaveSession(): string {
      const data = (this.session as KoaSession).toJSON();
      const text = JSON.stringify(data);
      this.#checked = { data, text };
      if (this.#loadedText === undefined) return text === '{}' ? '' : 'changed';
      if (text !== this.#loadedText) return 'changed';
      if (this.opts.rolling) return 'rolling';
      const { _expire: expire } = this.#hidden;
      const { maxAge, renew } = this.opts;
      return renew && expire && typeof maxAge === 'number' && expire - Date.now() < maxAge / 2 ? 'renew' : '';
    }

    async commit({ save = false, regenerate = false } = {}): Promise<void> {
      this.#checked = undefined;
      if (this.#replaced) await this.#destroy(this.#replaced);
      this.#replaced = undefined;
      // the session replaced after `ctx.session = null` is gone before its successor is saved
      if (this.#fresh) this.#announcer?.gone(this.anonymous);
      const session = this.session;
      if (session === undefined) return;
      if (session === false) {
        await this.remove();
        return this.#announcer?.gone(this.anonymous);
      }
      if (regenerate && !await this.#regenerate()) return;
      const reason = save || regenerate || session._requireSave || this.#mustSave ? 'force' : this._shouldSaveSession();
      debug('commit: %s', reason || 'nothing to save');
      if (reason) {
        this.opts.beforeSave?.(this.ctx, session);
        this.#regenerating = regenerate;
        await this.save(reason === 'changed').finally(() => (this.#regenerating = false));
      }
      this.#announcer?.gone(this.anonymous);
      if (regenerate) this.#rotateCsrf();
      else this.#announcer?.settle(this.#live());
    }

    /** Writes the session: its cookie, or its store entry (indexed under its user) and its id. */
    async save(changed: boolean): Promise<void> {
      if (this.#unchecked) return;
      const data = settings.writesCheckedText && this.#checked ? this.#checked.data : (this.session as KoaSession).toJSON();
      const text = settings.writesCheckedText && this.#checked ? this.#checked.text : JSON.stringify(data);
      const refusal = refusalOf(data, text);
      if (refusal) throw new TypeError(`[egg-session-plus] cannot save the session: ${refusal}`);
      const user = userOf(data);
      const now = Date.now();
      const stamping = user && this.#stampOf(user.id, now);
      const signIn = stamping instanceof Promise ? await stamping : stamping;
      if (signIn === FAILED) return void (this.anonymous = true);
      const existed = this.#existing();
      // the same session keeps its creation time, also when its loaded user is set again on a new object
      const created = (existed || (user && user.id === this.#signIn?.loaded?.user) ? this.#created : undefined) ?? now;
      const store = this.#store;
      const { hidden, maxAge } = stampHidden({ maxAge: this.opts.maxAge, created, signIn, ref: store ? undefined : this.#hidden._ref ?? newCookieRef(),
        sessionTTL: store ? undefined : settings.sessionTTL }, now);
      if (this.opts.maxAge !== undefined) this.opts.maxAge = maxAge;
      if (store) {
        const written = await store.write(this.externalKey!, { ...data, ...hidden }, { user: user?.id, signIn, created, maxAge, changed, appUser: user?.app });
        if (written === FAILED) this.anonymous = true;
        if (written !== true) return;
      } else {
        this.#cookie!.write(hidden, data, text);
      }
      this.#hidden = hidden;
      this.#created = created;
      this.#loadedText = text;
      this.#mustSave = false;
      if (!existed) this.announcer.created(() => this.#describe(), this.#regenerating);
    }

    async remove(): Promise<void> {
      if (this.#store && this.externalKey) await this.#destroy(this.externalKey);
      this.ctx.cookies.set(this.opts.key, '', { ...this.opts, expires: new Date(0), maxAge: false } as any);
    }

    /** After the commit: what waits for the end of the request, the index's "last seen", the cookies that must not go out. */
    async finish(): Promise<void> {
      this.#announcer?.settle(this.#live());
      const touching = !this.anonymous && this.#store?.touch();
      if (touching) await touching;
      settleSessionCookies(this.ctx, size, { anonymous: this.anonymous, revoked: this.#revoked, loggedOut: !this.#store && this.#loggedOut });
    }

    caller(user: string): Caller | 'gone' | undefined {
      this.get(); // a cookie session is read lazily: who it was loaded with must be known
      const stamp = this.#signIn?.known(user);
      if (stamp) return this.#store ? this.#store.caller(user, stamp, this.#signIn!.loaded?.user, this.externalKey) : { stamp: stamp.gen };
    }

    revoked(user: string, gen: number, keep: boolean): void {
      this.get();
      (this.#signIn ??= new SignIn()).confirm(user, gen);
      if (keep) this.#mustSave = true;
    }

    /** The stamp `user` is written with: the loaded or known one, or a new sign-in's at the user's generation now. */
    #stampOf(user: string, now: number): Stamp | Promise<Stamp | typeof FAILED> {
      const signIn = this.#signIn ??= new SignIn();
      return signIn.known(user) ?? signIn.signIn(user, now, () => control?.generation(this.ctx, user) ?? Promise.resolve(0));
    }

    async #loadFromStore(store: StoreSession): Promise<void> {
      const read = await store.read();
      if (read === FAILED) this.anonymous = true;
      if (!read || read === FAILED || !this.valid(read.value, read.id)) return this.create();
      this.#loaded(read.value!, read.id);
      const vetting = store.loaded(read.id, this.#signIn?.loaded, this.#created, this.#accepted?.user?.app);
      const revoked = vetting && await vetting;
      if (!revoked) return;
      if (revoked === FAILED) this.anonymous = true;
      else this.#revokedAtLoad(this.session as unknown as JsonObject, read.id);
      // a new session: whoever the app sets on it signs in now
      this.#loadedText = this.#created = this.#signIn = undefined;
      this.#hidden = {};
      this.create();
    }

    #revokedAtLoad(data: JsonObject, id?: string): void {
      this.#revoked = true;
      debug('revoked session %s', id ? `ref:${refOf(id)}` : 'cookie');
      emitLifecycle(this.ctx.app, 'revoked', { ctx: this.ctx, user: appUser(data), reason: 'revoked', ref: id ? refOf(id) : hiddenOf(data)._ref });
    }

    /** The session from data valid() accepted; its own lifetime (`_maxAge`, `_session`) becomes the request's when it is a positive number. */
    #loaded(data: JsonObject, id: string | undefined, appText?: string): void {
      const { hidden, user } = this.#accepted!;
      this.#hidden = hidden;
      this.#created = hidden._created;
      if (hidden._session) this.opts.maxAge = 'session';
      else if (hidden._maxAge! > 0) this.opts.maxAge = hidden._maxAge;
      delete data._maxAge;
      delete data._session;
      this.create(data, id);
      this.#loadedText = appText ?? JSON.stringify((this.session as KoaSession).toJSON());
      if (user) this.#signIn = new SignIn(user.id, hidden);
    }

    async #destroy(id: string): Promise<void> {
      this.anonymous ||= await this.#store!.destroy(id) === FAILED;
    }

    /** regenerate(): a new id or cookie reference and creation time; a store session destroyed meanwhile goes on fresh, unsaved (false). */
    async #regenerate(): Promise<boolean> {
      const id = this.externalKey;
      const existed = this.#existing();
      if (this.#store && id && existed && await this.#store.destroyedMeanwhile(id)) {
        this.#loadedText = undefined;
        this.create();
        this.#rotateCsrf();
        return false;
      }
      if (existed) this.announcer.regenerated(this.#describe().ref);
      this.#hidden = {};
      this.#created = undefined;
      if (this.#store) this.externalKey = this.opts.genid(this.ctx);
      return true;
    }

    /** a CSRF token learned before a login must not work after it (egg's security plugin keeps the secret) */
    #rotateCsrf(): void {
      if (settings.rotateCsrf) (this.ctx as { rotateCsrfSecret?: () => void }).rotateCsrfSecret?.();
    }

    /** read (also when the app assigned it new data) or saved already */
    #existing(): boolean {
      return Boolean(this.session) && this.#loadedText !== undefined;
    }

    #describe(): Described {
      return { ref: this.#store ? this.externalKey && refOf(this.externalKey) : this.#hidden._ref, user: appUser(this.session) };
    }

    /** how events name the session, while it lives and was not left unsaved by a store failure */
    #live(): (() => Described) | undefined {
      return this.session && !this.anonymous ? () => this.#describe() : undefined;
    }
  };
}

export type RequestSession = InstanceType<ReturnType<typeof createOwnerClass>>;
