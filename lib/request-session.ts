import { createSession } from 'koa-session';
import type { Context } from 'egg';
import { emitLifecycle, newCookieRef, REF, sessionRef, type DestroyReason, type SessionLifecycleEvent } from './lifecycle.js';
import { appUserOf, CREATED, numberField, signInOf, stampMeta, userOf, type LoadedSignIn, type SessionMeta, type UserId } from './session-meta.js';
import { MAX_COOKIE_LIFETIME } from './config.js';
import { chunkName, isChunked, joinChunks, splitValue } from './cookie-chunks.js';
import { describeCookie } from './cookie-codec.js';
import { clearCookie, dropSessionCookies } from './session-cookies.js';

/** The part of koa-session's ContextSession this plugin uses (its class is not exported by name). */
export interface KoaContextSession {
  ctx: Context;
  opts: Record<string, any>;
  store?: {
    get(key: string, maxAge: unknown, options: { ctx: Context; rolling?: boolean }): Promise<unknown>;
    destroy(key: string, options: { ctx: Context }): unknown;
    /** the built-in stores answer a destroy with whether the session existed (lib/control/store.ts) */
    reportsDestroy?: boolean;
  };
  session: object | false | undefined;
  externalKey?: string;
  initFromExternal(): Promise<void>;
  initFromCookie(): void;
  valid(data: unknown, externalKey?: string): boolean;
  create(data?: unknown, externalKey?: string): void;
  _shouldSaveSession(): string;
  get(): object | null;
  set(value: Record<string, unknown> | null): void;
  commit(options?: { save?: boolean; regenerate?: boolean }): Promise<void>;
  save(changed: boolean): Promise<void>;
}

/** koa-session's Session: the app's data, and `toJSON()` of it without the hidden `_` keys. */
type SessionModel = { toJSON(): Record<string, unknown> };

type KoaContextSessionClass = new (ctx: Context, options: Record<string, any>) => KoaContextSession;

/**
 * Normalises `options` the way koa-session does (defaults, the default genid) and returns its
 * ContextSession class. koa-session 7 exports neither the class nor its context symbols, so it is
 * run once against a throwaway context, and the class is read off the instance it makes there.
 */
export function prepareKoaSession(options: Record<string, any>): KoaContextSessionClass {
  const context: Record<PropertyKey, unknown> = {};
  createSession(options as any, { use() {}, context });
  const getter = Object.getOwnPropertySymbols(context).find(symbol => symbol.description === 'get contextSession');
  // the probe must not build the app's per-request ContextStore: there is no request
  const { ContextStore } = options;
  options.ContextStore = undefined;
  const probe = getter && Reflect.get(context, getter, Object.create(context)) as KoaContextSession | undefined;
  options.ContextStore = ContextStore;
  if (!probe || typeof probe.commit !== 'function') {
    throw new Error('[egg-session-plus] this koa-session version is not supported (its ContextSession could not be found); use koa-session 7');
  }
  return probe.constructor as KoaContextSessionClass;
}

const OWNER = Symbol('egg-session-plus#requestSession');

type Encode = (data: Record<string, unknown>, appText?: string) => string;

/** The owner running koa-session's cookie write right now (see RequestSession#save). */
let active: { encodeCookie(data: Record<string, unknown>, encode: Encode): string } | undefined;

/**
 * Makes koa-session's `encode` option hand cookie sessions to the request's owner (its metadata,
 * its checked text and chunks); outside a request it is the codec's.
 */
export function routeCookieEncodeToOwner(options: Record<string, any>): void {
  const encode = options.encode as Encode;
  options.encode = (data: Record<string, unknown>) => (active ? active.encodeCookie(data, encode) : encode(data));
}

/** What session control (lib/control/) knows of one request's session. */
export interface RequestState {
  /** hidden metadata stamped by RequestSession#save, persisted with the write that follows */
  meta?: SessionMeta;
  /** the store key this request loaded or last wrote */
  storeKey?: string;
  /** the user `storeKey` is indexed under, as far as this request knows */
  indexedUser?: UserId;
  /** the store session was written (or refreshed) during this request */
  written?: boolean;
  /** the store session `storeKey` was destroyed during this request */
  destroyed?: boolean;
  /** the cookie session's user had all sessions destroyed after it signed in */
  revoked?: boolean;
}

/**
 * The one owner of a request's session: koa-session's ContextSession (load, validate, commit,
 * remove), plus what this plugin knows about the request.
 */
export interface RequestSession extends KoaContextSession {
  /** the store failed and `onStoreError` is 'anonymous': nothing of the session is written */
  anonymous: boolean;
  /** the session middleware runs for this request (a route it skips, `ignore`/`match`, reads the session without its checks) */
  guarded: boolean;
  /** the app destroyed the session in this request (`ctx.session = null`) */
  loggedOut: boolean;
  /** why `ctx.session = null` happens in this request, for `session:destroyed` (default 'logout') */
  destroyReason: DestroyReason | undefined;
  /** references of sessions `session:destroyed` announced in this request (each once) */
  announcedDestroyed: Set<string> | undefined;
  /** emits what waits for the end of the request (`session:regenerated`, once the new session has its user) */
  announceChanges(): void;
  /** what session control knows of this request's session */
  control?: RequestState;
  /** `ctx.sessions` of this request (app/extend/context.ts) */
  sessions?: object;
  /** what the store loaded or last wrote for this request (the built-in stores' own record) */
  storeLoaded?: unknown;
  /**
   * Store ids this request destroyed ('here'), or whose write back was refused because another request
   * destroyed them meanwhile ('elsewhere'): none is written again in this request.
   */
  deadIds: Map<string, 'here' | 'elsewhere'> | undefined;
  /** reads a store session before the handler runs */
  load(): Promise<void>;
  /** the session cookie this request sent, decoded once (cookie sessions); undefined without one */
  readCookie(): { raw: string; data: unknown; appText?: string } | undefined;
  /** the user the session was loaded with, when it signed in, and the store id it was loaded under (kept through `ctx.session = null` and regenerate()) */
  loadedSignIn(): Readonly<LoadedSignIn> | undefined;
  /** the loaded user counts as signed in at `at` (a "destroy all" this request ran while it was signed in); `save`: written now (a kept session) */
  confirmSignIn(at: number, save: boolean): void;
  /** a "destroy all" at `at` ran in this request: a user signed in later in it is stamped after that */
  signInsAfter(at: number): void;
  /** destroys the loaded store session (`destroy: true`) and goes on with a fresh one */
  restartFresh(destroy: boolean): Promise<void>;
}

export type RequestSessionClass = new (ctx: Context, options: Record<string, any>) => RequestSession;

/**
 * Decodes a session cookie with the request at hand (legacy cookies are verified with it); `appText`
 * is `JSON.stringify` of the app data it holds, when its format gives it without a stringify.
 */
export type CookieReader = (ctx: Context, value: string) => { data: unknown; appText?: string };

export interface RequestSessionSettings {
  /** decodes a session cookie with the request at hand */
  decodeCookie: CookieReader;
  /** `config.session.rotateCsrfOnRegenerate` */
  rotateCsrf: boolean;
  /** `config.session.userKey`: the user named in lifecycle events */
  userKey: string;
  /** how many cookies a session may be split over (`onCookieTooLarge: 'split'`); 1: never split */
  maxCookieChunks: number;
  /** `config.session.cookieSizeLimit`: the most a Set-Cookie line may take */
  cookieSizeLimit: number;
  /** no `beforeSave` of the app's may change the session between the change check and the write */
  writesCheckedText: boolean;
  /** session control checks cookie sessions against "log out everywhere" (in the middleware) */
  checksCookieRevocation: boolean;
}

// what a Set-Cookie line takes besides name and value, with room to spare: path, max-age, expires
// (29 characters), samesite, secure, httponly, partitioned, priority; domain and path are added
const COOKIE_ATTRIBUTES_BYTES = 200;


/**
 * A loaded session's own lifetime (`_maxAge`, which koa-session makes the request's maxAge) that is no
 * positive number gives way to the configured one; a longer one than the server honours is cut at save.
 */
function withHonouredLifetime(data: unknown): unknown {
  const { _maxAge: maxAge } = data as { _maxAge?: unknown };
  if (maxAge !== undefined && !(typeof maxAge === 'number' && maxAge > 0)) Reflect.deleteProperty(data as object, '_maxAge');
  return data;
}

export function createRequestSessionClass(Base: KoaContextSessionClass, settings: RequestSessionSettings): RequestSessionClass {
  const { decodeCookie, rotateCsrf, userKey, maxCookieChunks, cookieSizeLimit, writesCheckedText, checksCookieRevocation } = settings;
  return class extends Base implements RequestSession {
    anonymous = false;
    guarded = false;
    loggedOut = false;
    deadIds: Map<string, 'here' | 'elsewhere'> | undefined;
    control: RequestState | undefined;
    sessions: object | undefined;
    storeLoaded: unknown;
    destroyReason: DestroyReason | undefined;
    announcedDestroyed: Set<string> | undefined;
    /** a store id this request destroyed (`ctx.session = null`) and then replaced by a new session */
    #replaced: string | undefined;
    #cookie: { raw: string; data: unknown; appText?: string } | undefined;
    /** `JSON.stringify` of the app data as loaded or last saved (undefined: a session that exists nowhere yet) */
    #loadedText: string | undefined;
    /** the same of the session now: from the change check, then what the write of this commit persists */
    #checkedText: string | undefined;
    /** the creation time of the session as loaded or last saved: what an assignment (`ctx.session = {...}`) cannot reset */
    #created: number | undefined;
    /**
     * The user the session was loaded with and when it signed in. Setting that user again in this
     * request (after `ctx.session = null`, regenerate(), another user in between) keeps the time: a
     * request in flight cannot escape a revocation. Only a "destroy all" this request ran for that user,
     * while the session was still signed in, moves it (confirmSignIn).
     */
    #loadedSignIn: LoadedSignIn | undefined;
    /** another user signed in during this request, and when */
    #newSignIn: { user: UserId; at: number } | undefined;
    /** the session `ctx.session = null` destroyed, announced at commit */
    #gone: { ref?: string; user?: string | number } | undefined;
    /** the session was replaced by a new one after `ctx.session = null` */
    #fresh = false;
    #createdAnnounced = false;
    /** the cookie session of a user was not served: the middleware's revocation check did not run */
    #hidesUncheckedCookie = false;
    /** a new session first saved by regenerate(): `session:created` waits for the request's last commit, as `regenerated` does */
    #createdAfterRegenerate = false;
    #regenerating = false;
    /** the earliest sign-in time this request may stamp (after a "destroy all" it ran) */
    #signInNotBefore = 0;
    /** a regenerate() whose `session:regenerated` waits for the request's last commit */
    #regenerated: { previousRef?: string } | undefined;

    /** koa-session's cookie read, on the request's one reading of the cookie; remembers the loaded text. */
    initFromCookie(): void {
      const cookie = this.readCookie();
      // a failed revocation check under 'anonymous' (the cookie was fine: no session:invalid)
      if (!cookie || this.anonymous || !this.valid(cookie.data)) {
        this.create();
        return;
      }
      // a route the session middleware skips gets no signed-in cookie session: nothing checked it against
      // revocations; and it writes none, which would replace the browser's real one
      if (checksCookieRevocation && !this.guarded && userOf(cookie.data, userKey)) {
        this.#hidesUncheckedCookie = true;
        this.create();
        return;
      }
      this.create(withHonouredLifetime(cookie.data));
      this.#loadedText = cookie.appText ?? JSON.stringify((this.session as SessionModel).toJSON());
      this.#loaded(cookie.data);
    }

    /** koa-session's store read (`opts.externalKey` is always ours: lib/session-id.ts); remembers the loaded text. */
    async initFromExternal(): Promise<void> {
      const { ctx, opts } = this;
      const externalKey = opts.externalKey.get(ctx) as string | undefined;
      const data = externalKey && await this.store!.get(externalKey, opts.maxAge, { ctx, rolling: opts.rolling });
      // a store that failed under 'anonymous' reported session:error: the session is not missing
      if (!externalKey || this.anonymous || !this.valid(data, externalKey)) {
        this.create();
        return;
      }
      this.create(withHonouredLifetime(data), externalKey);
      this.#loadedText = JSON.stringify((this.session as SessionModel).toJSON());
      this.#loaded(data, externalKey);
    }

    /**
     * koa-session's decision at commit, on one stringify of the app data compared with the text
     * loaded or last saved (instead of a crc32 of a stringify on read and another on commit); the
     * text is what a cookie write then seals.
     */
    _shouldSaveSession(): string {
      const session = this.session as SessionModel;
      const text = JSON.stringify(session.toJSON());
      this.#checkedText = text;
      if (this.#loadedText === undefined) return text === '{}' ? '' : 'changed';
      if (text !== this.#loadedText) return 'changed';
      if (this.opts.rolling) return 'rolling';
      // renewed when less than half its lifetime is left (koa-session's `renew`)
      const { _expire: expire, maxAge } = session as { _expire?: number; maxAge?: unknown };
      if (this.opts.renew && expire && typeof maxAge === 'number' && expire - Date.now() < maxAge / 2) return 'renew';
      return '';
    }

    /** The cookie value of `data` with its hidden metadata (split over several cookies when it must be). */
    encodeCookie(data: Record<string, unknown>, encode: Encode): string {
      return this.#encode(encode(Object.assign(data, this.control?.meta), this.#checkedText));
    }

    /** The first chunk of a value too large for one cookie (the others are set here); the value itself otherwise. */
    #encode(value: string): string {
      if (maxCookieChunks < 2) return value;
      const key = this.opts.key as string;
      const overhead = COOKIE_ATTRIBUTES_BYTES + String(this.opts.domain ?? '').length + String(this.opts.path ?? '').length;
      if (key.length + 1 + value.length + overhead <= cookieSizeLimit) return value;
      const chunks = splitValue(value, key, cookieSizeLimit, overhead, maxCookieChunks);
      // too large even split: written whole, and the size check applies the error/warn policy
      if (!chunks) return value;
      const options = { ...this.opts, signed: false, encrypt: false, overwrite: true };
      for (let index = 1; index < chunks.length; index++) this.ctx.cookies.set(chunkName(key, index), chunks[index], options);
      return chunks[0];
    }

    readCookie(): { raw: string; data: unknown; appText?: string } | undefined {
      const raw = this.ctx.cookies.get(this.opts.key, this.opts) as string | undefined;
      if (!raw) return;
      if (this.#cookie?.raw !== raw) {
        const { data, appText } = this.#decodeWhole(raw);
        this.#cookie = { raw, data, appText };
      }
      return this.#cookie;
    }

    /** A session split over several cookies is joined first, and opened as one. */
    #decodeWhole(raw: string): { data: unknown; appText?: string } {
      if (!isChunked(raw)) return decodeCookie(this.ctx, raw);
      const key = this.opts.key as string;
      const whole = joinChunks(raw, key, maxCookieChunks, name => this.ctx.cookies.get(name, { signed: false }));
      return whole === undefined ? { data: describeCookie(raw) } : decodeCookie(this.ctx, whole);
    }

    async load(): Promise<void> {
      if (this.store) await this.initFromExternal();
    }

    /**
     * `ctx.session = value`. koa-session keeps the store id when a session is assigned, also right
     * after `ctx.session = null`; a session destroyed in this request must stay dead, so the new one
     * gets a new id and the old id is destroyed at commit.
     */
    set(value: Record<string, unknown> | null): void {
      // a cookie session is read lazily: read it, to know what is destroyed or replaced (an assigned
      // session is the same session: it keeps its creation and sign-in times)
      if (this.session === undefined) this.get();
      if (value === null && this.#holdsExisting()) this.#gone = this.#describe();
      if (value === null) this.loggedOut = true;
      const replacingDestroyed = Boolean(value) && this.session === false;
      if (replacingDestroyed && this.store && this.externalKey) {
        this.#replaced = this.externalKey;
        this.externalKey = undefined;
      }
      super.set(value);
      if (replacingDestroyed) {
        // a new session, not the one loaded: saved when it has data (its loaded user keeps the sign-in time)
        this.#loadedText = undefined;
        this.#fresh = true;
      }
    }

    /** The creation and sign-in times to persist with this write (lib/session-meta.ts); a cookie session's reference. */
    #stampMeta(): void {
      const session = this.session as Record<string, unknown>;
      const control = this.control ??= {};
      const user = userOf(session, userKey);
      // the same session keeps its creation time, whatever object the app assigned or wrote into it; so
      // does its user set again in a new one (`ctx.session = null`, then an object): absoluteMaxAge goes on
      if (this.#holdsExisting() || (user !== undefined && user === this.#loadedSignIn?.user)) session[CREATED] = this.#created;
      const meta = stampMeta(session, user === undefined ? undefined : this.#signInTimeOf(user), Date.now());
      this.#created = meta[CREATED];
      // a cookie session has no id: a random reference names it in lifecycle events
      if (!this.store) meta[REF] = session[REF] = typeof session[REF] === 'string' ? session[REF] : newCookieRef();
      control.meta = meta;
    }

    #loaded(data: unknown, id?: string): void {
      this.#created = numberField(data, CREATED);
      this.#loadedSignIn = signInOf(data, userKey, id);
    }

    /** When `user` signed in: the loaded user at its loaded time, another user now (after any "destroy all" this request ran). */
    #signInTimeOf(user: UserId): number {
      if (this.#loadedSignIn?.user === user) return this.#loadedSignIn.at;
      if (this.#newSignIn?.user !== user) this.#newSignIn = { user, at: Math.max(Date.now(), this.#signInNotBefore) };
      return this.#newSignIn.at;
    }

    /**
     * A lifetime the app set on this request, checked before anything is written: whole milliseconds
     * (Redis takes no fractions), held to what the server honours and browsers keep. koa-session would
     * write 0 or NaN as a browser-session cookie of a one-day store session, and a negative one as a
     * cookie the browser drops at once while the store keeps the session: those are the app's error.
     */
    #holdLifetime(): void {
      const { maxAge } = this.opts;
      if (maxAge === undefined || maxAge === 'session') return;
      if (typeof maxAge !== 'number' || !(maxAge > 0)) {
        throw new TypeError(`[egg-session-plus] ctx.session.maxAge must be a positive number of milliseconds or 'session' (got ${typeof maxAge === 'string' ? JSON.stringify(maxAge) : String(maxAge)})`);
      }
      this.opts.maxAge = Math.min(Math.ceil(maxAge), MAX_COOKIE_LIFETIME);
    }

    /**
     * For a store session whose id is dead (`deadIds`): tells the browser so and returns true, and the
     * write stops there. Destroyed by this request, its cookie is cleared; destroyed elsewhere while this
     * request ran (a logout, or a login's regenerate() whose response set the new id), this response
     * sends no session cookie at all, so it cannot clear a newer one.
     */
    #endIfDead(): boolean {
      const how = this.externalKey === undefined ? undefined : this.deadIds?.get(this.externalKey);
      if (!how) return false;
      const key = this.opts.key as string;
      if (how === 'elsewhere') dropSessionCookies(this.ctx, key);
      else clearCookie(this.ctx, key);
      return true;
    }

    /**
     * True when the current session exists beyond this request: it was loaded (also when the app
     * assigned it new data) or saved already. Not koa-session's `isNew`, which is false for any
     * session assigned with data.
     */
    #holdsExisting(): boolean {
      return Boolean(this.session) && this.#loadedText !== undefined;
    }

    /** The reference and user of the current session, for lifecycle events. */
    #describe(): { ref?: string; user?: string | number } {
      return { ref: sessionRef(this.store ? this.externalKey : undefined, this.session), user: appUserOf(this.session, userKey) };
    }

    /**
     * koa-session's write (right after `beforeSave`): stamps the hidden metadata, which the cookie
     * encode (synchronous, in `super.save`, handed to this owner) or the store wrapper persists.
     */
    async save(changed: boolean): Promise<void> {
      if (this.#hidesUncheckedCookie || this.#endIfDead()) return;
      this.#holdLifetime();
      this.#stampMeta();
      const existed = this.#holdsExisting();
      // what this write persists (and a cookie seals): the change check's text, unless a save was
      // forced past the check or the app's beforeSave may have changed the session since
      const text = writesCheckedText && this.#checkedText !== undefined
        ? this.#checkedText
        : JSON.stringify((this.session as SessionModel).toJSON());
      this.#checkedText = text;
      const browserSession = this.opts.maxAge === 'session';
      active = this;
      let saving: Promise<void>;
      try {
        saving = super.save(changed);
      } finally {
        active = undefined;
      }
      try {
        await saving;
      } finally {
        // koa-session drops `maxAge: 'session'` from the options while it saves: a second save in
        // this request would make the browser-session cookie a one-day one
        if (browserSession) this.opts.maxAge = 'session';
      }
      if (this.#endIfDead()) return;
      // a later commit of this request compares with what is saved now
      this.#loadedText = text;
      if (this.#createdAnnounced || existed) return;
      this.#createdAnnounced = true;
      // the login pattern sets the user after `await regenerate()`
      if (this.#regenerating) this.#createdAfterRegenerate = true;
      else emitLifecycle(this.ctx.app, 'created', { ctx: this.ctx, reason: 'new', ...this.#describe() });
    }

    async commit(options?: { save?: boolean; regenerate?: boolean }): Promise<void> {
      // a forced save (save(), regenerate) skips the change check: it must not seal an earlier commit's text
      this.#checkedText = undefined;
      const replaced = this.#replaced;
      if (replaced && this.session !== undefined) {
        this.#replaced = undefined;
        await this.store!.destroy(replaced, { ctx: this.ctx });
      }
      // the session replaced after `ctx.session = null` is gone before its successor is saved
      if (this.#fresh) this.#announceGone();
      if (options?.regenerate && await this.#destroyedMeanwhile()) {
        // a session destroyed while this request ran (a logout elsewhere) is not carried to a new id:
        // the request goes on with a fresh one (the login that called regenerate() fills it)
        this.#loadedText = undefined;
        this.create();
        if (rotateCsrf) (this.ctx as { rotateCsrfSecret?: () => void }).rotateCsrfSecret?.();
        return;
      }
      if (options?.regenerate && this.#holdsExisting()) {
        // announced once the request set the new session's user (after `await regenerate()`)
        this.#regenerated = { previousRef: this.#describe().ref };
      }
      if (options?.regenerate && this.session) {
        // a regenerated session is a new session: `absoluteMaxAge` counts from the sign-in, and a cookie session gets a new reference
        Reflect.deleteProperty(this.session as object, CREATED);
        this.#created = undefined;
        if (!this.store) Reflect.deleteProperty(this.session as object, REF);
      }
      this.#regenerating = Boolean(options?.regenerate);
      try {
        await super.commit(options);
      } finally {
        this.#regenerating = false;
      }
      this.#announceGone();
      if (!options?.regenerate) this.announceChanges();
      // a CSRF token learned before a login must not work after it (egg's security plugin keeps the secret)
      if (options?.regenerate && rotateCsrf) (this.ctx as { rotateCsrfSecret?: () => void }).rotateCsrfSecret?.();
    }

    announceChanges(): void {
      const regenerated = this.#regenerated;
      const created = this.#createdAfterRegenerate;
      this.#regenerated = undefined;
      this.#createdAfterRegenerate = false;
      // under onStoreError 'anonymous' nothing of it was saved: the old session lives on
      if (!this.session || this.anonymous) return;
      if (created) emitLifecycle(this.ctx.app, 'created', { ctx: this.ctx, reason: 'new', ...this.#describe() });
      if (regenerated) emitLifecycle(this.ctx.app, 'regenerated', { ctx: this.ctx, reason: 'regenerate', previousRef: regenerated.previousRef, ...this.#describe() });
    }

    /** `session:destroyed` for the session `ctx.session = null` destroyed, once. */
    #announceGone(): void {
      const gone = this.#gone;
      this.#gone = undefined;
      // a destroy that failed under onStoreError 'anonymous' left the session alive
      if (!gone || this.anonymous) return;
      announceDestroyed(this.ctx.app, { ctx: this.ctx, reason: this.destroyReason ?? 'logout', ...gone });
    }

    loadedSignIn(): Readonly<LoadedSignIn> | undefined {
      // a cookie session is read lazily
      if (this.session === undefined) this.get();
      return this.#loadedSignIn;
    }

    confirmSignIn(at: number, save: boolean): void {
      if (!this.#loadedSignIn) return;
      this.#loadedSignIn.at = Math.max(this.#loadedSignIn.at, at);
      const session = save ? this.get() as Record<string, unknown> | null : null;
      if (session) session._requireSave = true;
    }

    signInsAfter(at: number): void {
      this.#signInNotBefore = Math.max(this.#signInNotBefore, at + 1);
    }

    async restartFresh(destroy: boolean): Promise<void> {
      if (destroy && this.store && this.externalKey) await this.store.destroy(this.externalKey, { ctx: this.ctx });
      this.#loadedText = undefined;
      // a new session: a user the app sets on it signs in now, whoever the loaded one belonged to
      this.#created = undefined;
      this.#loadedSignIn = undefined;
      this.create();
    }

    /** For `regenerate()` of a loaded store session: destroys it, and says whether it was gone already. */
    async #destroyedMeanwhile(): Promise<boolean> {
      const { store, externalKey: key, ctx } = this;
      if (!store || !key || !this.#holdsExisting()) return false;
      // the built-in stores answer whether the key existed; another store is asked before the destroy
      const stillThere = store.reportsDestroy ? undefined : await store.get(key, this.opts.maxAge, { ctx });
      const existed = await store.destroy(key, { ctx });
      const gone = store.reportsDestroy ? existed === false : stillThere === undefined || stillThere === null;
      if (gone) markSessionGone(ctx, key, true);
      return gone;
    }
  };
}

/**
 * Makes `ctx.session` and `ctx.sessionOptions` (koa-session's accessors) use `RequestSession`,
 * one instance per request, created on first use.
 */
export function installSessionAccessors(context: object, RequestSessionImpl: RequestSessionClass, options: Record<string, any>): void {
  const ownerOf = (ctx: Context): RequestSession => {
    const holder = ctx as unknown as Record<symbol, RequestSession | undefined>;
    return holder[OWNER] ??= new RequestSessionImpl(ctx, options);
  };
  Object.defineProperties(context, {
    session: {
      configurable: true,
      get(this: Context) {
        return ownerOf(this).get();
      },
      set(this: Context, value: Record<string, unknown> | null) {
        ownerOf(this).set(value);
      },
    },
    sessionOptions: {
      configurable: true,
      get(this: Context) {
        return ownerOf(this).opts;
      },
    },
  });
  Reflect.set(context, OWNER_OF, ownerOf);
}

const OWNER_OF = Symbol('egg-session-plus#ownerOf');

/** The request's session owner (created on first use). */
export function requestSessionOf(ctx: Context): RequestSession {
  const ownerOf = Reflect.get(ctx, OWNER_OF) as ((ctx: Context) => RequestSession) | undefined;
  if (!ownerOf) throw new Error('[egg-session-plus] the session middleware is not installed on this app');
  return ownerOf(ctx);
}

/** The request's session owner if one exists already. */
export function peekRequestSession(ctx: Context): RequestSession | undefined {
  return (ctx as unknown as Record<symbol, RequestSession | undefined>)[OWNER];
}

/** True when this request runs on an empty, unsaved session because the store failed. */
export function isAnonymousSession(ctx: Context): boolean {
  return peekRequestSession(ctx)?.anonymous === true;
}

/**
 * Store session `id` is gone for this request: destroyed by it, or (`elsewhere`) its write back
 * refused because another request destroyed it meanwhile.
 */
export function markSessionGone(ctx: Context, id: string, elsewhere = false): void {
  const owner = peekRequestSession(ctx);
  if (!owner) return;
  owner.deadIds ??= new Map();
  if (owner.deadIds.get(id) !== 'elsewhere') owner.deadIds.set(id, elsewhere ? 'elsewhere' : 'here');
}

/** Marks the request anonymous (`onStoreError: 'anonymous'`): none of its session cookies are sent. */
export function markAnonymous(ctx: Context): void {
  requestSessionOf(ctx).anonymous = true;
}

/** `session:destroyed`, at most once per session and request (a "log out everywhere" also ends this one). */
export function announceDestroyed(app: Parameters<typeof emitLifecycle>[0], payload: SessionLifecycleEvent): void {
  const owner = payload.ctx && peekRequestSession(payload.ctx);
  if (owner && payload.ref) {
    const announced = owner.announcedDestroyed ??= new Set();
    if (announced.has(payload.ref)) return;
    announced.add(payload.ref);
  }
  // `app.sessions.destroyAll()` without a request, then `ctx.session = null` for one of them
  if (payload.ref && recentlyDestroyed(payload.ref)) return;
  emitLifecycle(app, 'destroyed', payload);
}

const RECENT_MS = 10_000;
const RECENT_MAX = 1000;
const recent = new Map<string, number>();

/** True when `ref` was announced destroyed in the last RECENT_MS (and remembers it now otherwise). */
function recentlyDestroyed(ref: string, now = Date.now()): boolean {
  const at = recent.get(ref);
  if (at !== undefined && now - at < RECENT_MS) return true;
  recent.set(ref, now);
  if (recent.size > RECENT_MAX) recent.delete(recent.keys().next().value as string);
  return false;
}
