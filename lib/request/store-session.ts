import type { Context } from 'egg';
import { FAILED, type Failed, type StoreAdapter } from '../store/adapter.js';
import { refOf, type ExternalKey } from '../session-id.js';
import { dropSessionCookies, clearCookie } from '../cookie/response.js';
import type { IndexKeeper } from '../control/index-keeper.js';
import type { Caller } from '../control/user-index.js';
import type { Stamp } from './sign-in.js';
import type { JsonObject } from '../json.js';

/** What a store session's write needs beyond its data. */
export interface StoreWrite {
  user: string | undefined;
  signIn: Stamp | undefined;
  created: number;
  maxAge: number | 'session';
  changed: boolean;
  rolling: boolean;
  appUser: string | number | undefined;
}

/**
 * What one request knows of its store session: the id it read, what the store read (handed back at
 * the next write), the user the id is indexed under, and the ids it must never write again: destroyed
 * here, or refused because another request destroyed them meanwhile ('elsewhere').
 */
export class StoreSession {
  readonly #ctx: Context;
  readonly adapter: StoreAdapter;
  readonly #control: IndexKeeper | undefined;
  readonly #ids: ExternalKey;
  readonly #dead = new Map<string, 'here' | 'elsewhere'>();
  #snapshot: { id: string; value: unknown } | undefined;
  #indexed: { id: string; user: string } | undefined;
  loadedId: string | undefined;
  written = false;

  constructor(ctx: Context, adapter: StoreAdapter, control: IndexKeeper | undefined, ids: ExternalKey) {
    this.#ctx = ctx;
    this.adapter = adapter;
    this.#control = control;
    this.#ids = ids;
  }

  /** The session of the id the client sent (only through the id gate), or undefined; FAILED under 'anonymous'. */
  async read(maxAge: unknown, rolling: boolean): Promise<{ id: string; value: JsonObject | undefined } | undefined | Failed> {
    const id = this.#ids.get(this.#ctx);
    if (id === undefined) return;
    const read = await this.adapter.read(this.#ctx, id, maxAge as number, rolling);
    if (read === FAILED) return read;
    this.#snapshot = { id, value: read?.snapshot };
    return { id, value: read?.value };
  }

  /** The session read under `id` is the request's, signed in as `user`. */
  loaded(id: string, user: string | undefined): void {
    this.loadedId = id;
    if (user) this.#indexed = { id, user };
  }

  /**
   * Whether the loaded session of `user` (signed in at generation `gen`) is revoked: the index revokes the
   * sessions it holds; this catches one it never held. A revoked one is destroyed (`session:invalid`).
   */
  async revoked(user: string, gen: number): Promise<boolean | Failed> {
    const id = this.loadedId;
    if (!this.#control || !id) return false;
    const revoked = await this.#control.revokedStoreSession(this.#ctx, id, user, gen);
    if (revoked !== true) return revoked;
    const ctx = this.#ctx;
    setImmediate(() => ctx.app.emit('session:invalid', { key: id, value: 'revoked', ctx }));
    await this.destroy(id);
    return true;
  }

  /** Writes the session under `id`, indexes it under its user and sends its id: false when it must not be written (refused, gone). */
  async write(id: string, value: JsonObject, write: StoreWrite): Promise<boolean | Failed> {
    const { maxAge } = write;
    // koa-session keeps a store entry 10 s longer than its cookie
    const storeMaxAge = maxAge === 'session' ? maxAge : maxAge + 10_000;
    const snapshot = this.#snapshot && this.#snapshot.id === id ? this.#snapshot.value : undefined;
    const written = await this.adapter.write(this.#ctx, id, value, storeMaxAge, { rolling: write.rolling, changed: write.changed, snapshot });
    if (written === FAILED) return written;
    if (written === 'gone') return this.#refused(id);
    this.#snapshot = { id, value: written.snapshot };
    this.written = true;
    if (this.#control && !await this.#index(id, write.user, write.signIn, storeMaxAge, write.created, write.appUser)) {
      await this.adapter.remove(this.#ctx, id);
      return this.#refused(id);
    }
    this.#ids.set(this.#ctx, id);
    return true;
  }

  /** Destroys a store session; whatever the store answers, this request never writes the id again. */
  async destroy(id: string): Promise<boolean | undefined | Failed> {
    if (this.#dead.get(id) !== 'elsewhere') this.#dead.set(id, 'here');
    const existed = await this.adapter.remove(this.#ctx, id);
    if (existed !== FAILED && this.#control && this.#indexed?.id === id) await this.#control.destroyed(this.#ctx, id, this.#indexed.user);
    if (this.#indexed?.id === id) this.#indexed = undefined;
    return existed;
  }

  /** For regenerate(): destroys `id`, and says whether another request had destroyed it already (then it is dead 'elsewhere'). */
  async destroyedMeanwhile(id: string, maxAge: unknown): Promise<boolean> {
    const { builtin } = this.adapter;
    // the built-in stores answer whether the session existed; an app's store is asked before the destroy
    const before = builtin ? undefined : await this.adapter.read(this.#ctx, id, maxAge as number, false);
    const existed = await this.destroy(id);
    const gone = builtin ? existed === false : before === undefined;
    if (gone) this.#dead.set(id, 'elsewhere');
    return gone;
  }

  /**
   * For a store session whose id is dead: tells the browser so and returns true. Destroyed by this
   * request, its cookie is cleared; destroyed elsewhere while this request ran (a logout, or a login's
   * regenerate() whose response set the new id), no session cookie goes out, so none newer is cleared.
   */
  endIfDead(id: string | undefined, key: string): boolean {
    const how = id === undefined ? undefined : this.#dead.get(id);
    if (how === 'elsewhere') dropSessionCookies(this.#ctx, key);
    else if (how) clearCookie(this.#ctx, key);
    return how !== undefined;
  }

  /** The session the request acts from for `user` (its current id `current`), as the index checks it; 'gone' when refused meanwhile. */
  caller(user: string, stamp: Stamp, loadedUser: string | undefined, current: string | undefined): Caller | 'gone' | undefined {
    const id = user === loadedUser ? this.loadedId : this.#indexed?.user === user ? this.#indexed.id : undefined;
    if (!id) return;
    const dead = this.#dead.get(id);
    if (dead === 'elsewhere') return 'gone';
    // rotated by this request's regenerate(): the new id stands for it
    const acting = dead === 'here' ? current : id;
    return acting ? { ref: refOf(acting), stamp: stamp.gen } : undefined;
  }

  /** After the commit: a session used but not written gets its "last seen"; one the index does not hold is indexed (refused: destroyed). */
  async touch(write: Omit<StoreWrite, 'user' | 'changed' | 'rolling'>): Promise<void> {
    const indexed = this.#indexed;
    if (!this.#control || !indexed || this.written || this.#dead.has(indexed.id)) return;
    if (await this.#control.seen(this.#ctx, indexed.id, indexed.user)) return;
    const { maxAge } = write;
    if (!await this.#index(indexed.id, indexed.user, write.signIn, maxAge === 'session' ? maxAge : maxAge + 10_000, write.created, write.appUser)) {
      await this.destroy(indexed.id);
    }
  }

  /** Indexes `id` under `user` (and out of the index of the user it had before); false when the index refused it. */
  async #index(id: string, user: string | undefined, signIn: Stamp | undefined, maxAge: number | 'session', created: number, appUser: string | number | undefined): Promise<boolean> {
    const previousUser = this.#indexed?.id === id ? this.#indexed.user : undefined;
    const accepted = await this.#control!.saved(this.#ctx, this.adapter, { id, user, previousUser, signIn, created, maxAge, appUser });
    this.#indexed = user && accepted ? { id, user } : undefined;
    return accepted;
  }

  #refused(id: string): false {
    this.#dead.set(id, 'elsewhere');
    this.endIfDead(id, this.#ctx.sessionOptions.key);
    return false;
  }
}
