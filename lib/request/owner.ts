import { debuglog } from 'node:util';
import type { Context } from 'egg';
import type { KoaContextSessionClass, KoaSession } from './koa-base.js';
import { SignIn, isUser, userOf, type Stamp, type UserKey } from './sign-in.js';
import { Announcer, emitLifecycle, newCookieRef, type Described } from './announcer.js';
import { checkedLifetime, hiddenOf, isExpired, stampHidden, withHonouredLifetime, type Hidden } from './hidden.js';
import { FAILED, adapterOf, type AdapterSettings, type StoreAdapter } from '../store/adapter.js';
import { isSessionShaped, refusalOf, type JsonObject } from '../json.js';
import { refOf, type ExternalKey } from '../session-id.js';
import type { CookieCodec, OpenedCookie } from '../cookie/codec.js';
import { checkCookieSize, clearCookie, dropSessionCookies, setSessionCookie, setsCookie, type CookieSizeSettings } from '../cookie/response.js';
import type { IndexKeeper } from '../control/index-keeper.js';
import type { Caller } from '../control/user-index.js';
import type { SessionStore } from '../types.js';

const debug = debuglog('egg-session-plus');

export interface OwnerSettings {
  codec: CookieCodec;
  /** the one gate for client-supplied store ids (lib/session-id.ts) */
  ids: ExternalKey;
  /** `config.session.userKey`, and the reader of the user it names */
  userKey: UserKey;
  readUser: (session: unknown) => unknown;
  /** session control: revocation and the per-user index */
  control: IndexKeeper | undefined;
  rotateCsrf: boolean;
  absoluteMaxAge: number | undefined;
  /** the server-checked lifetime of browser-session cookie sessions */
  sessionTTL: number;
  /** cookies a sealed session may be split over (1: never) */
  maxChunks: number;
  size: CookieSizeSettings;
  /** no `beforeSave` of the app's can change the session between the change check and the write */
  writesCheckedText: boolean;
  appValid: ((ctx: Context, data: unknown) => unknown) | undefined;
  store: AdapterSettings;
  /** the store in use now (`app.sessionStore` may change it at any time) */
  currentStore: (ctx: Context) => SessionStore | undefined;
}

/** The owner as session control sees it: the session a request acts from, and what a "destroy all" it ran means for it. */
export interface RequestParty {
  caller(user: string): Caller | 'gone' | undefined;
  revoked(user: string, gen: number, keep: boolean): void;
}

/**
 * The one owner of a request's session: koa-session's ContextSession (the session object, its lazy
 * creation), and every step of its life: load and checks, assignment, the change check, commit, the
 * write of the cookie or of the store entry, and the ids it must never write again.
 */
export function createOwnerClass(Base: KoaContextSessionClass, settings: OwnerSettings) {
  const { codec, ids, control, size, readUser } = settings;
  const userOfSession = (session: unknown) => userOf(readUser(session), settings.userKey, Boolean(control));
  const appUser = (session: unknown) => {
    const user = readUser(session);
    return isUser(user) ? user : undefined;
  };

  return class RequestSession extends Base implements RequestParty {
    declare store: StoreAdapter | undefined;
    /** the store failed under `onStoreError: 'anonymous'`: nothing of the session is written */
    anonymous = false;
    /** the session middleware runs for this request (a route it skips reads no checked session) */
    guarded = false;
    /** `ctx.sessions` of this request */
    sessions: object | undefined;
    readonly announcer: Announcer;
    readonly #signIn = new SignIn();
    /** the hidden fields as read or last written: never taken from the session object */
    #hidden: Hidden = {};
    /** the creation time as read or last written: an assignment (`ctx.session = {...}`) does not reset it */
    #created: number | undefined;
    /** the app data's JSON as read or last saved (undefined: a session that exists nowhere yet) */
    #loadedText: string | undefined;
    /** the change check's data and JSON, written as they are when nothing can change them in between */
    #checked: { data: JsonObject; text: string } | undefined;
    #cookie: { raw: string; opened: OpenedCookie } | undefined;
    /** what the built-in store read or last wrote under an id, handed back at the next write */
    #snapshot: { id: string; value: unknown } | undefined;
    #loadedId: string | undefined;
    /** the store id and the user it is indexed under, as far as this request knows */
    #indexed: { id: string; user: string } | undefined;
    /** ids this request destroyed ('here') or whose write back was refused ('elsewhere'): never written again */
    readonly #deadIds = new Map<string, 'here' | 'elsewhere'>();
    /** a store id `ctx.session = null` destroyed and a new session replaced: destroyed at commit */
    #replaced: string | undefined;
    #fresh = false;
    #loggedOut = false;
    #revoked = false;
    #mustSave = false;
    #written = false;
    #regenerating = false;
    /** with session control, a route the middleware skips gets no signed-in cookie session: nothing checked it */
    #unchecked = false;

    constructor(ctx: Context, options: Record<string, any>) {
      super(ctx, options);
      const store = options.ContextStore ? this.store as unknown as SessionStore : settings.currentStore(ctx);
      this.store = store ? adapterOf(store, settings.store) : undefined;
      this.announcer = new Announcer(ctx);
    }

    /** The user of the session as the app set it (a string or a number), if it has one. */
    get user(): string | number | undefined {
      return appUser(this.get());
    }

    get #key(): string {
      return this.opts.key;
    }

    /** Before the handler: a store session is read and checked; a signed-in cookie session is checked against revocations. */
    async load(): Promise<void> {
      this.guarded = true;
      if (this.store) return this.#loadFromStore();
      const data = control && this.#readCookie()?.opened.data;
      if (!isSessionShaped(data)) return;
      const hidden = hiddenOf(data);
      const user = readUser(data);
      if (!isUser(user) || isExpired(data, hidden, settings.absoluteMaxAge)) return;
      const gen = await control!.generation(this.ctx, String(user));
      if (gen === FAILED) this.anonymous = true;
      else if ((hidden._gen ?? 0) < gen) this.#revokedAtLoad(data);
    }

    /** koa-session's lazy cookie read, on the request's one reading of the cookie. */
    initFromCookie(): void {
      const opened = this.#readCookie()?.opened;
      if (!opened || this.anonymous || !this.valid(opened.data)) return this.create();
      if (control && !this.guarded && appUser(opened.data) !== undefined) {
        this.#unchecked = true;
        return this.create();
      }
      this.#loaded(opened.data as JsonObject, undefined, opened.appText);
      if (opened.stale) this.#mustSave = true;
    }

    /** koa-session's verdict on loaded data, with the plugin's: the shape, absoluteMaxAge, a revocation, the user, the app's `valid`. */
    valid(data: unknown, key?: string): boolean {
      const { ctx } = this;
      let event: string | undefined;
      if (!data) event = 'missed';
      else if (!isSessionShaped(data)) event = 'invalid';
      else if (isExpired(data, hiddenOf(data), settings.absoluteMaxAge)) event = 'expired';
      else if (this.#revoked || (control && !isUser(readUser(data)) && readUser(data) !== undefined) ||
        (settings.appValid && !settings.appValid(ctx, data))) event = 'invalid';
      if (!event) return true;
      debug('%s session %s', event, key ? `ref:${refOf(key)}` : 'cookie');
      this.emit(event, { key, value: data, ctx });
      return false;
    }

    /** `ctx.session = value`: a session destroyed in this request stays dead, so its successor gets a new id. */
    set(value: Record<string, unknown> | null): void {
      if (this.session === undefined) this.get();
      if (value === null && this.#existing()) this.announcer.loggedOut(this.#describe());
      if (value === null) this.#loggedOut = true;
      const replacing = Boolean(value) && this.session === false;
      if (replacing && this.store && this.externalKey) {
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
      const { maxAge } = this.opts;
      if (this.opts.renew && expire && typeof maxAge === 'number' && expire - Date.now() < maxAge / 2) return 'renew';
      return '';
    }

    async commit({ save = false, regenerate = false } = {}): Promise<void> {
      this.#checked = undefined;
      const replaced = this.#replaced;
      if (replaced && this.session !== undefined) {
        this.#replaced = undefined;
        await this.#destroy(replaced);
      }
      // the session replaced after `ctx.session = null` is gone before its successor is saved
      if (this.#fresh) this.announcer.gone(this.anonymous);
      const session = this.session;
      if (session === undefined) return;
      if (session === false) {
        await this.remove();
        this.announcer.gone(this.anonymous);
        return;
      }
      if (regenerate && !await this.#regenerate()) return;
      const reason = save || regenerate || session._requireSave || this.#mustSave ? 'force' : this._shouldSaveSession();
      debug('commit: %s', reason || 'nothing to save');
      if (reason) {
        this.opts.beforeSave?.(this.ctx, session);
        this.#regenerating = regenerate;
        try {
          await this.save(reason === 'changed');
        } finally {
          this.#regenerating = false;
        }
      }
      this.announcer.gone(this.anonymous);
      if (!regenerate) this.announcer.settle(this.#live());
      else this.#rotateCsrf();
    }

    /** Writes the session: its cookie, or its store entry (indexed under its user) and its id. */
    async save(changed: boolean): Promise<void> {
      if (this.#unchecked || this.#endIfDead()) return;
      const maxAge = checkedLifetime(this.opts.maxAge);
      if (this.opts.maxAge !== undefined) this.opts.maxAge = maxAge;
      const { data, text } = this.#toWrite();
      const refusal = refusalOf(data, text);
      if (refusal) throw new TypeError(`[egg-session-plus] cannot save the session: ${refusal}`);
      const user = userOfSession(data);
      const now = Date.now();
      const signIn = user === undefined ? undefined : await this.#signIn.stampOf(user, () => control?.generation(this.ctx, user) ?? Promise.resolve(0), now);
      if (signIn === FAILED) return void (this.anonymous = true);
      const existed = this.#existing();
      // the same session keeps its creation time, also when its loaded user is set again on a new object
      const created = existed || (user !== undefined && user === this.#signIn.loadedUser) ? this.#created ?? now : now;
      const ref = this.store ? undefined : this.#hidden._ref ?? newCookieRef();
      const hidden = stampHidden({ maxAge, created, signIn, ref, sessionTTL: this.store ? undefined : settings.sessionTTL }, now);
      if (this.store) {
        if (!await this.#saveToStore({ ...data, ...hidden }, user, signIn, changed, maxAge)) return;
      } else {
        setSessionCookie(this.ctx, this.opts, codec.encode(hidden as JsonObject, data, text), size.limit, settings.maxChunks);
      }
      this.#hidden = hidden;
      this.#created = created;
      this.#loadedText = text;
      this.#mustSave = false;
      if (!existed) this.announcer.created(() => this.#describe(), this.#regenerating);
    }

    /** koa-session's remove: the store entry destroyed, the cookie cleared. */
    async remove(): Promise<void> {
      if (this.store && this.externalKey) await this.#destroy(this.externalKey);
      this.ctx.cookies.set(this.#key, '', { ...this.opts, expires: new Date(0), maxAge: false } as any);
    }

    /** After the commit: what waits for the end of the request, the index's "last seen", the cookies that must not go out. */
    async finish(): Promise<void> {
      this.announcer.settle(this.#live());
      const { ctx } = this;
      if (control && this.#revoked && !setsCookie(ctx, this.#key)) clearCookie(ctx, this.#key);
      const indexed = this.#indexed;
      if (control && indexed && !this.#written && !this.#deadIds.has(indexed.id) && !this.anonymous) {
        // a session the index does not hold is indexed now, so that "log out everywhere" finds every live session
        const maxAge = this.opts.maxAge === 'session' ? 'session' : this.opts.maxAge + 10_000;
        if (await control.seen(ctx, indexed.id, indexed.user) === false && !await this.#index(indexed.id, indexed.user, this.#signIn.known(indexed.user), maxAge, this.#created ?? Date.now())) {
          await this.#destroy(indexed.id);
        }
      }
      // the store failed under 'anonymous': the browser keeps the cookie it has, which is still true; but a
      // cookie session's logout needs no store: its cookie is cleared
      if (this.anonymous) {
        dropSessionCookies(ctx, this.#key);
        if (!this.store && this.#loggedOut) clearCookie(ctx, this.#key);
      }
      checkCookieSize(ctx, size);
    }

    caller(user: string): Caller | 'gone' | undefined {
      // a cookie session is read lazily: who it was loaded with must be known
      if (this.session === undefined) this.get();
      const stamp = this.#signIn.known(user);
      if (!stamp) return;
      if (!this.store) return { stamp: stamp.gen };
      const id = user === this.#signIn.loadedUser ? this.#loadedId : this.#indexed?.user === user ? this.#indexed.id : undefined;
      if (!id) return;
      const dead = this.#deadIds.get(id);
      if (dead === 'elsewhere') return 'gone';
      // rotated by this request's regenerate(): the new id stands for it
      const current = dead === 'here' ? this.externalKey : id;
      return current ? { ref: refOf(current), stamp: stamp.gen } : undefined;
    }

    revoked(user: string, gen: number, keep: boolean): void {
      if (this.session === undefined) this.get();
      this.#signIn.confirm(user, gen);
      if (keep) this.#mustSave = true;
    }

    /** The one reading of the session cookie (chunks joined, opened, legacy cookies verified), kept for the request. */
    #readCookie(): { raw: string; opened: OpenedCookie } | undefined {
      const raw = this.ctx.cookies.get(this.#key, this.opts) as string | undefined;
      if (!raw) return;
      if (this.#cookie?.raw !== raw) this.#cookie = { raw, opened: codec.open(this.ctx, raw) };
      return this.#cookie;
    }

    async #loadFromStore(): Promise<void> {
      const { ctx, opts, store } = this;
      const id = ids.get(ctx);
      const read = id === undefined ? undefined : await store!.read(ctx, id, opts.maxAge, opts.rolling);
      if (read === FAILED) this.anonymous = true;
      if (!id || read === FAILED || !this.valid(read?.value, id)) return this.create();
      this.#snapshot = { id, value: read!.snapshot };
      this.#loaded(read!.value, id);
      const user = this.#signIn.loadedUser;
      if (!control || !user) return;
      const revoked = await control.revokedStoreSession(ctx, id, user, this.#signIn.known(user)!.gen);
      if (revoked === false) return;
      if (revoked === FAILED) this.anonymous = true;
      else {
        setImmediate(() => ctx.app.emit('session:invalid', { key: id, value: 'revoked', ctx }));
        this.#revokedAtLoad(this.session as unknown as JsonObject, id);
        await this.#destroy(id);
      }
      // a new session: whoever the app sets on it signs in now
      this.#loadedText = this.#created = undefined;
      this.#hidden = {};
      this.#signIn.forget();
      this.create();
    }

    #revokedAtLoad(data: JsonObject, id?: string): void {
      this.#revoked = true;
      emitLifecycle(this.ctx.app, 'revoked', { ctx: this.ctx, user: appUser(data), reason: 'revoked', ref: id ? refOf(id) : hiddenOf(data)._ref });
    }

    #loaded(data: JsonObject, id: string | undefined, appText?: string): void {
      this.#hidden = hiddenOf(data);
      this.#created = this.#hidden._created;
      this.create(withHonouredLifetime(data), id);
      this.#loadedText = appText ?? JSON.stringify((this.session as KoaSession).toJSON());
      const user = userOfSession(data);
      this.#signIn.loadedWith(user, this.#hidden);
      this.#loadedId = id;
      if (id && user) this.#indexed = { id, user };
    }

    /** The app data to write and its JSON: the change check's, unless a save skipped it or `beforeSave` may have changed it since. */
    #toWrite(): { data: JsonObject; text: string } {
      if (settings.writesCheckedText && this.#checked) return this.#checked;
      const data = (this.session as KoaSession).toJSON();
      return { data, text: JSON.stringify(data) };
    }

    async #saveToStore(value: JsonObject, user: string | undefined, signIn: Stamp | undefined, changed: boolean, lifetime: number | 'session'): Promise<boolean> {
      const { ctx, opts } = this;
      const id = this.externalKey!;
      // koa-session keeps a store entry 10 s longer than its cookie
      const maxAge = lifetime === 'session' ? 'session' : lifetime + 10_000;
      const snapshot = this.#snapshot?.id === id ? this.#snapshot.value : undefined;
      const written = await this.store!.write(ctx, id, value, maxAge, { rolling: opts.rolling, changed, snapshot });
      if (written === FAILED) return !(this.anonymous = true);
      if (written === 'gone') return this.#refused(id);
      this.#snapshot = { id, value: written.snapshot };
      this.#written = true;
      if (control && !await this.#index(id, user, signIn, maxAge, value._created as number)) {
        await this.store!.remove(ctx, id);
        return this.#refused(id);
      }
      ids.set(ctx, id);
      return true;
    }

    /**
     * Indexes the store session `id` under `user` (and out of the index of the user it had before);
     * false when the index refused it: it was destroyed or revoked by another request meanwhile.
     */
    async #index(id: string, user: string | undefined, signIn: Stamp | undefined, maxAge: number | 'session', created: number): Promise<boolean> {
      const accepted = await control!.saved(this.ctx, this.store!, {
        id, user, signIn, previousUser: this.#indexed?.id === id ? this.#indexed.user : undefined,
        created, maxAge, appUser: appUser(this.session),
      });
      this.#indexed = user && accepted ? { id, user } : undefined;
      return accepted;
    }

    /** Destroyed by another request while this one ran: its write back was refused. */
    #refused(id: string): false {
      this.#deadIds.set(id, 'elsewhere');
      this.#endIfDead();
      return false;
    }

    /** Destroys a store session; whatever the store answers, this request never writes the id again. */
    async #destroy(id: string): Promise<boolean | undefined> {
      if (this.#deadIds.get(id) !== 'elsewhere') this.#deadIds.set(id, 'here');
      const existed = await this.store!.remove(this.ctx, id);
      if (existed === FAILED) this.anonymous = true;
      else if (control && this.#indexed?.id === id) await control.destroyed(this.ctx, id, this.#indexed.user);
      if (this.#indexed?.id === id) this.#indexed = undefined;
      return existed === FAILED ? undefined : existed;
    }

    /**
     * regenerate(): a new id (store) or reference (cookie), and a new creation time. A loaded store
     * session destroyed while this request ran (a logout elsewhere) is not carried to a new id: the
     * request goes on with a fresh one, and nothing is saved (false).
     */
    async #regenerate(): Promise<boolean> {
      const { store, externalKey: id, ctx } = this;
      const existed = this.#existing();
      if (store && id && existed) {
        // the built-in stores answer whether the session existed; an app's store is asked before the destroy
        const before = store.builtin ? undefined : await store.read(ctx, id, this.opts.maxAge, false);
        const destroyed = await this.#destroy(id);
        if (store.builtin ? destroyed === false : before === undefined) {
          this.#deadIds.set(id, 'elsewhere');
          this.#loadedText = undefined;
          this.create();
          this.#rotateCsrf();
          return false;
        }
      }
      if (existed) this.announcer.regenerated(this.#describe().ref);
      this.#hidden = {};
      this.#created = undefined;
      if (store) this.externalKey = this.opts.genid(ctx);
      return true;
    }

    #rotateCsrf(): void {
      // a CSRF token learned before a login must not work after it (egg's security plugin keeps the secret)
      if (settings.rotateCsrf) (this.ctx as { rotateCsrfSecret?: () => void }).rotateCsrfSecret?.();
    }

    /**
     * For a store session whose id is dead: tells the browser so and returns true. Destroyed by this
     * request, its cookie is cleared; destroyed elsewhere while this request ran (a logout, or a login's
     * regenerate() whose response set the new id), no session cookie goes out, so none newer is cleared.
     */
    #endIfDead(): boolean {
      const how = this.externalKey === undefined ? undefined : this.#deadIds.get(this.externalKey);
      if (how === 'elsewhere') dropSessionCookies(this.ctx, this.#key);
      else if (how) clearCookie(this.ctx, this.#key);
      return how !== undefined;
    }

    /** The session exists beyond this request: read (also when the app assigned it new data) or saved already. */
    #existing(): boolean {
      return Boolean(this.session) && this.#loadedText !== undefined;
    }

    #describe(): Described {
      return { ref: this.store ? this.externalKey && refOf(this.externalKey) : this.#hidden._ref, user: appUser(this.session) };
    }

    /** How events name the session, while it lives and was not left unsaved by a store failure. */
    #live(): (() => Described) | undefined {
      return this.session && !this.anonymous ? () => this.#describe() : undefined;
    }
  };
}

export type RequestSession = InstanceType<ReturnType<typeof createOwnerClass>>;
