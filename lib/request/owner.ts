import type { KoaSession } from './koa-base.js';
import { SessionReader, debug } from './reader.js';
import { SignIn, type Stamp } from './sign-in.js';
import { Announcer, newCookieRef, type Described } from './announcer.js';
import { stampHidden } from './hidden.js';
import { FAILED } from '../store/adapter.js';
import { refusalOf, type JsonObject } from '../json.js';
import { refOf } from '../session-id.js';
import { settleSessionCookies } from '../cookie/response.js';
import type { Caller } from '../control/user-index.js';
import type { RequestParty } from './setup.js';

/** The owner of a request's session: SessionReader reads it; here every step after the read, through its store or cookie part. */
export class RequestSession extends SessionReader implements RequestParty {
  sessions: object | undefined; // ctx.sessions
  outsideUser: { user: string | number | undefined } | undefined; // loaded by app.sessions.load(): its user, as loaded
  #announcer: Announcer | undefined;
  #checked: { data: JsonObject; text: string } | undefined;
  // a store id `ctx.session = null` destroyed and a new session replaced: destroyed at commit
  #replaced: string | undefined;
  #fresh = false;
  #loggedOut = false;
  #regenerating = false;
  #regenerated = false;
  get announcer(): Announcer { return this.#announcer ??= new Announcer(this.ctx); }
  /** `ctx.session = value`: a session destroyed in this request stays dead, so its successor gets a new id. */
  set(value: Record<string, unknown> | null): void {
    if (this.session === undefined) this.get();
    if (value === null && this.exists()) this.announcer.loggedOut(this.#describe());
    if (value === null) this.#loggedOut = true;
    const replacing = Boolean(value) && this.session === false;
    if (replacing && this.storeSession && this.externalKey) {
      this.#replaced = this.externalKey;
      this.externalKey = undefined;
    }
    super.set(value);
    if (replacing) {
      this.loadedText = undefined;
      this.hidden = {};
      this.#fresh = true;
    }
  }
  /** koa-session's save decision, on one JSON of the app data compared with the JSON read or last saved (no crc32). */
  _shouldSaveSession(): string {
    const data = (this.session as KoaSession).toJSON();
    const text = JSON.stringify(data);
    this.#checked = { data, text };
    if (this.loadedText === undefined) return text === '{}' ? '' : 'changed';
    if (text !== this.loadedText) return 'changed';
    if (this.opts.rolling) return 'rolling';
    const { _expire: expire } = this.hidden;
    const { maxAge, renew } = this.opts;
    return renew && expire && typeof maxAge === 'number' && expire - Date.now() < maxAge / 2 ? 'renew' : '';
  }
  async commit({ save = false, regenerate = false } = {}): Promise<void> {
    this.#checked = undefined;
    // outside a request no new id reaches a client: a sign-in or regenerate() there would fixate the id it has, or orphan the session
    const user = this.outsideUser && this.session ? this.settings.appUser(this.session) : undefined;
    if (this.outsideUser && (regenerate || (user !== undefined && String(user) !== String(this.outsideUser.user)))) {
      throw new TypeError('[egg-session-plus] a session loaded outside a request can be signed in (its user set) or regenerated only in a request');
    }
    if (this.#replaced) await this.#destroy(this.#replaced);
    this.#replaced = undefined;
    // the session replaced after `ctx.session = null` is gone before its successor is saved
    if (this.#fresh) this.#announcer?.gone(this.anonymous);
    if (this.session) regenerate = this.#userChanged() || regenerate;
    const session = this.session;
    if (session === undefined) return;
    if (session === false) {
      await this.remove();
      return this.#announcer?.gone(this.anonymous);
    }
    if (regenerate && !await this.#regenerate()) return;
    this.#regenerated ||= regenerate;
    const reason = save || regenerate || session._requireSave || this.mustSave ? 'force' : this._shouldSaveSession();
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
  async save(changed: boolean): Promise<void> {
    if (this.unchecked) return;
    const data = this.settings.writesCheckedText && this.#checked ? this.#checked.data : (this.session as KoaSession).toJSON();
    const text = this.settings.writesCheckedText && this.#checked ? this.#checked.text : JSON.stringify(data);
    const refusal = refusalOf(data, text);
    if (refusal) throw new TypeError(`[egg-session-plus] cannot save the session: ${refusal}`);
    const user = this.settings.userOf(data);
    const now = Date.now();
    const stamping = user && this.#stampOf(user.id, now);
    const signIn = stamping instanceof Promise ? await stamping : stamping;
    if (signIn === FAILED) return void (this.anonymous = true);
    const existed = this.exists();
    // the same session keeps its creation time, also when its loaded user is set again on a new object
    const created = (existed || (user && user.id === this.signIn?.loaded?.user) ? this.created : undefined) ?? now;
    const store = this.storeSession;
    const { hidden, maxAge } = stampHidden({ maxAge: this.opts.maxAge, created, signIn, ref: store ? undefined : this.hidden._ref ?? newCookieRef(),
      sessionTTL: store ? undefined : this.settings.sessionTTL }, now);
    if (this.opts.maxAge !== undefined) this.opts.maxAge = maxAge;
    if (store) {
      const written = await store.write(this.externalKey!, { ...data, ...hidden }, { user: user?.id, signIn, created, maxAge, changed, appUser: user?.app });
      if (written === FAILED) this.anonymous = true;
      if (written !== true) return;
    } else {
      this.cookieSession!.write(hidden, data, text);
    }
    this.hidden = hidden;
    this.created = created;
    this.loadedText = text;
    this.mustSave = false;
    if (!existed) this.announcer.created(() => this.#describe(), this.#regenerating);
  }
  async remove(): Promise<void> {
    if (this.storeSession && this.externalKey) await this.#destroy(this.externalKey);
    this.ctx.cookies.set(this.opts.key, '', { ...this.opts, expires: new Date(0), maxAge: false } as any);
  }
  /** After the commit: events, the index's "last seen", the cookies that must not go out. */
  async finish(): Promise<void> {
    this.#announcer?.settle(this.#live());
    const touching = !this.anonymous && this.storeSession?.touch();
    if (touching) await touching;
    settleSessionCookies(this.ctx, this.settings.size, { anonymous: this.anonymous, revoked: this.revokedAtLoad, loggedOut: !this.storeSession && this.#loggedOut });
    this.storeSession?.finish(this.anonymous ? null : this.alive() ? this.externalKey : undefined, this.externalKey);
  }
  /** When the session's user signed in, as verified data or this request's own sign-in says; undefined before it is saved. */
  signedInAt(): number | undefined {
    const user = this.userOfSession();
    return (user !== undefined && this.signIn?.known(String(user))?.at) || undefined;
  }
  /** After a commit: the session lives on under its id (not destroyed, refused or unsaved by a store failure). */
  alive(): boolean { return Boolean(this.session) && !this.anonymous && !this.storeSession?.isDead(this.externalKey); }
  caller(user: string): Caller | 'gone' | undefined {
    this.get(); // a cookie session is read lazily: who it was loaded with must be known
    const stamp = this.signIn?.known(user);
    if (stamp) return this.storeSession ? this.storeSession.caller(user, stamp, this.signIn!.loaded?.user, this.externalKey) : { stamp: stamp.gen };
  }
  revoked(user: string, gen: number, keep: boolean): void {
    this.get();
    (this.signIn ??= new SignIn()).confirm(user, gen);
    if (keep) this.mustSave = true;
  }
  /** True: regenerate (`regenerateOnSignIn`: a fixated id never becomes a signed-in one); `destroyOnSignOut` destroys it. */
  #userChanged(): boolean {
    const { regenerateOnSignIn, destroyOnSignOut, appUser } = this.settings;
    const loaded = this.signIn?.loaded?.user;
    const user = appUser(this.session);
    if (loaded !== undefined && user === undefined && destroyOnSignOut) this.set(null);
    return regenerateOnSignIn && !this.#regenerated && user !== undefined && String(user) !== loaded && this.exists();
  }
  #stampOf(user: string, now: number): Stamp | Promise<Stamp | typeof FAILED> {
    const signIn = this.signIn ??= new SignIn();
    return signIn.known(user) ?? signIn.signIn(user, now, () => this.settings.control?.generation(this.ctx, user) ?? Promise.resolve(0));
  }
  async #destroy(id: string): Promise<void> { this.anonymous ||= await this.storeSession!.destroy(id) === FAILED; }
  /** A new id or cookie ref; a store session destroyed meanwhile goes on fresh and unsaved (false). */
  async #regenerate(): Promise<boolean> {
    const id = this.externalKey;
    const existed = this.exists();
    if (this.storeSession && id && existed && await this.storeSession.destroyedMeanwhile(id)) {
      this.loadedText = undefined;
      this.create();
      this.#rotateCsrf();
      return false;
    }
    if (existed) this.announcer.regenerated(this.#describe().ref);
    // the login pattern: a re-authentication is a new sign-in time (freshness); revocation goes by the generation, kept
    if (this.signIn?.loaded) this.signIn.loaded.at = Date.now();
    this.hidden = {};
    this.created = undefined;
    if (this.storeSession) this.externalKey = this.opts.genid(this.ctx);
    return true;
  }
  // a CSRF token learned before a login must not work after it
  #rotateCsrf(): void { if (this.settings.rotateCsrf) (this.ctx as { rotateCsrfSecret?: () => void }).rotateCsrfSecret?.(); }
  /** read (also when the app assigned it new data) or saved already */
  exists(): boolean { return Boolean(this.session) && this.loadedText !== undefined; }
  #describe(): Described {
    return { ref: this.storeSession ? this.externalKey && refOf(this.externalKey) : this.hidden._ref, user: this.settings.appUser(this.session) };
  }
  #live(): (() => Described) | undefined { return this.session && !this.anonymous ? () => this.#describe() : undefined; }
}
