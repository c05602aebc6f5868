import type { Context } from 'egg';
import { FAILED, type Failed, type StoreAdapter } from '../store/adapter.js';
import { refOf, type SessionIds } from '../session-id.js';
import { dropSessionCookies, clearCookie } from '../cookie/response.js';
import { checkedLifetime } from './hidden.js';
import type { IndexKeeper } from '../control/index-keeper.js';
import type { Caller } from '../control/user-index.js';
import type { Stamp } from './sign-in.js';
import type { JsonObject } from '../json.js';

export interface StoreWrite {
  user: string | undefined; signIn: Stamp | undefined; created: number; maxAge: number | 'session'; changed: boolean; appUser: string | number | undefined;
}

interface Loaded { id: string; signIn?: Stamp; created?: number; appUser?: string | number }

// koa-session keeps a store entry 10 s longer than its cookie
const storeLifetime = (maxAge: number | 'session') => (maxAge === 'session' ? maxAge : maxAge + 10_000);

// One request's store session: the id it read, the store's snapshot (handed back at the next write), the user the id is indexed under, and the ids it
// must never write again: destroyed here, or 'elsewhere'.
export class StoreSession {
  readonly #ctx: Context;
  readonly #opts: Record<string, any>;
  readonly adapter: StoreAdapter;
  readonly #control: IndexKeeper | undefined;
  readonly #ids: SessionIds;
  readonly #dead = new Map<string, 'here' | 'elsewhere'>();
  #snapshot: { id: string; value: unknown } | undefined;
  #indexed: { id: string; user: string } | undefined;
  #loaded: Loaded | undefined;
  #written = false;
  constructor(ctx: Context, opts: Record<string, any>, adapter: StoreAdapter, control: IndexKeeper | undefined, ids: SessionIds) {
    this.#ctx = ctx;
    this.#opts = opts;
    this.adapter = adapter;
    this.#control = control;
    this.#ids = ids;
  }
  get loadedId(): string | undefined { return this.#loaded?.id; }
  /** The session of the id the client sent, only through the id gate; FAILED under 'anonymous'. */
  async read(): Promise<{ id: string; value: JsonObject | undefined } | undefined | Failed> {
    const id = this.#ids.get(this.#ctx, this.#opts);
    if (id === undefined) return;
    const read = await this.adapter.read(this.#ctx, id, this.#opts.maxAge, this.#opts.rolling);
    if (read === FAILED) return read;
    this.#snapshot = { id, value: read?.snapshot };
    return { id, value: read?.value };
  }
  /** Whether a "destroy all" revoked the loaded session (true: destroyed): catches one the index never held. */
  loaded(id: string, signIn: (Stamp & { user: string }) | undefined, created: number | undefined, appUser: string | number | undefined): false | Promise<boolean | Failed> {
    this.#loaded = { id, signIn, created, appUser };
    if (!signIn) return false;
    this.#indexed = { id, user: signIn.user };
    return this.#control ? this.#vet(id, signIn) : false;
  }
  /** Writes, indexes and sends `id`: false when it must not be written (dead, refused). */
  async write(id: string, value: JsonObject, write: StoreWrite): Promise<boolean | Failed> {
    if (this.endIfDead(id)) return false;
    const maxAge = storeLifetime(write.maxAge);
    const snapshot = this.#snapshot?.id === id ? this.#snapshot.value : undefined;
    const written = await this.adapter.write(this.#ctx, id, value, maxAge, { rolling: this.#opts.rolling, changed: write.changed, snapshot });
    if (written === FAILED) return written;
    if (written === 'gone') return this.#refused(id);
    this.#snapshot = { id, value: written.snapshot };
    this.#written = true;
    if (this.#control && !await this.#index(id, write.user, write.signIn, maxAge, write.created, write.appUser)) {
      await this.adapter.remove(this.#ctx, id);
      return this.#refused(id);
    }
    this.#ids.set(this.#ctx, id, this.#opts);
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
  /** For regenerate(): destroys `id`; true when another request had destroyed it already. */
  async destroyedMeanwhile(id: string): Promise<boolean> {
    const { builtin } = this.adapter;
    // the built-in stores answer whether the session existed; an app's store is asked before the destroy
    const before = builtin ? undefined : await this.adapter.read(this.#ctx, id, this.#opts.maxAge, false);
    const existed = await this.destroy(id);
    const gone = builtin ? existed === false : before === undefined;
    if (gone) this.#dead.set(id, 'elsewhere');
    return gone;
  }
  // True for a dead id, and the browser is told: destroyed here, its cookie is cleared; destroyed elsewhere (a logout, or a login whose response set
  // a new id), no session cookie goes out, so none newer is cleared.
  /** After the commit, with the id the session lives on under (undefined: none; null: unknown, the store failed). */
  finish(live: string | undefined | null, current: string | undefined): void {
    // died elsewhere meanwhile (a logout, a regenerate): say nothing, the client may hold a newer id; a new id sent but not kept is taken back
    const elsewhere = (id?: string) => id !== undefined && this.#dead.get(id) === 'elsewhere';
    this.#ids.finish(this.#ctx, elsewhere(this.#loaded?.id) || elsewhere(current) ? null : live, this.#opts.key, elsewhere(current));
  }
  isDead(id: string | undefined): boolean { return id !== undefined && this.#dead.has(id); }
  endIfDead(id: string | undefined): boolean {
    const how = id === undefined ? undefined : this.#dead.get(id);
    if (how === 'elsewhere') dropSessionCookies(this.#ctx, this.#opts.key);
    else if (how) clearCookie(this.#ctx, this.#opts.key);
    return how !== undefined;
  }
  /** The session the request acts from for `user`, as the index checks it; 'gone' when refused meanwhile. */
  caller(user: string, stamp: Stamp, loadedUser: string | undefined, current: string | undefined): Caller | 'gone' | undefined {
    const id = user === loadedUser ? this.loadedId : this.#indexed?.user === user ? this.#indexed.id : undefined;
    if (!id) return;
    const dead = this.#dead.get(id);
    if (dead === 'elsewhere') return 'gone';
    // rotated by this request's regenerate(): the new id stands for it
    const acting = dead === 'here' ? current : id;
    return acting ? { ref: refOf(acting), stamp: stamp.gen } : undefined;
  }
  /** A session used but not written gets its "last seen"; one the index lost is indexed again (refused: destroyed). */
  touch(): Promise<void> | undefined {
    const indexed = this.#indexed;
    if (!this.#control || !indexed || this.#written || this.#dead.has(indexed.id) || indexed.id !== this.#loaded?.id) return;
    return this.#touch(indexed, this.#loaded);
  }
  async #touch(indexed: { id: string; user: string }, loaded: Loaded): Promise<void> {
    if (await this.#control!.seen(this.#ctx, indexed.id, indexed.user)) return;
    const maxAge = storeLifetime(checkedLifetime(this.#opts.maxAge));
    if (!await this.#index(indexed.id, indexed.user, loaded.signIn, maxAge, loaded.created ?? Date.now(), loaded.appUser)) await this.destroy(indexed.id);
  }
  async #vet(id: string, signIn: Stamp & { user: string }): Promise<boolean | Failed> {
    const revoked = await this.#control!.revokedStoreSession(this.#ctx, id, signIn.user, signIn.gen);
    if (revoked !== true) return revoked;
    const ctx = this.#ctx;
    setImmediate(() => ctx.app.emit('session:invalid', { key: id, value: 'revoked', ctx }));
    await this.destroy(id);
    return true;
  }
  async #index(id: string, user: string | undefined, signIn: Stamp | undefined, maxAge: number | 'session', created: number, appUser: string | number | undefined): Promise<boolean> {
    const previousUser = this.#indexed?.id === id ? this.#indexed.user : undefined;
    const accepted = await this.#control!.saved(this.#ctx, this.adapter, { id, user, previousUser, signIn, created, maxAge, appUser });
    this.#indexed = user && accepted ? { id, user } : undefined;
    return accepted;
  }
  #refused(id: string): false {
    this.#dead.set(id, 'elsewhere');
    this.endIfDead(id);
    return false;
  }
}
