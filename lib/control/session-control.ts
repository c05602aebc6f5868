import type { Application, Context } from 'egg';
import type { ResolvedSessionConfig } from '../config.js';
import { withTimeout } from '../store/deadlines.js';
import { SessionStoreError } from '../store/adapter.js';
import { describeStore } from '../store/builtin.js';
import { resolveRedisClient } from '../redis.js';
import { announceDestroyed, type DestroyReason } from '../request/announcer.js';
import { refOf } from '../session-id.js';
import type { RequestParty } from '../request/setup.js';
import type { LoadedSession } from '../request/outside.js';
import { IndexKeeper } from './index-keeper.js';
import { UserSessionIndex, callerArgs, parseEntry, sessionIdsOf, type SessionInfo } from './user-index.js';
import type { SessionStore } from '../types.js';

export interface DestroyAllOptions {
  /** ids (from `list()`) of sessions to keep */ except?: string | string[];
  /** keep the session of the request it runs in, cookie or store (what `ctx.sessions.destroyOthers()` does) */ exceptCurrent?: boolean;
  /** the request doing it (default: the request it runs in), for the caller check and `session:destroyed` */ ctx?: Context;
  /** the reason `session:destroyed` gives (default 'destroyAll') */ reason?: DestroyReason;
}

export interface DestroyAllResult {
  /** store sessions destroyed */ destroyed: number;
  /** when it ran (information: sessions are revoked by generation, not by time) */ revokedAt: number;
}

const DRAIN_BATCH = 500; // sessions a "destroy all" removes per script call: short calls, however many sessions a user has
const CONTROL = Symbol.for('egg-session-plus#sessionControl');

export function needsSessionControl(what: string): Error {
  return new Error(`[egg-session-plus] ${what} needs session control: use \`config.session.store = 'redis'\`, ` +
    'or set `config.session.control = { enable: true }` with @eggjs/redis enabled');
}

export function sessionControlEnabled(config: ResolvedSessionConfig): boolean {
  return config.control.enable ?? describeStore(config.store) === 'redis';
}

/** Builds `app.sessions` (at didLoad, once @eggjs/redis and the store exist); returns what requests use of it. */
/** What session control asks of the request side, handed in at boot (imports point from lib/request to lib/control). */
export interface RequestSide { partyOf(ctx: Context): RequestParty | undefined; load(input: unknown): Promise<LoadedSession | undefined> }

export function installSessionControl(app: Application, config: ResolvedSessionConfig, requests: RequestSide):
IndexKeeper | undefined {
  let control: SessionControl | undefined;
  let keeper: IndexKeeper | undefined;
  if (sessionControlEnabled(config)) {
    const client = resolveRedisClient(app, config.redis.client, 'session control (per-user sessions, "log out everywhere") needs Redis,');
    const index = new UserSessionIndex(client, config.redis.prefix);
    keeper = new IndexKeeper(app, index, config);
    control = new SessionControl(app, index, keeper, config.storeTimeout, requests);
  }
  Reflect.set(app, CONTROL, control);
  Object.defineProperty(app, 'sessions', { configurable: true, value: control ?? new WithoutControl(requests) });
  return keeper;
}

/** `app.sessions` without session control: load() works, every other method says what it needs. */
class WithoutControl {
  readonly #requests: RequestSide;
  constructor(requests: RequestSide) { this.#requests = requests; }
  load(input: unknown): Promise<LoadedSession | undefined> { return this.#requests.load(input); }
  async list(): Promise<never> { throw needsSessionControl('app.sessions.list()'); }
  async destroy(): Promise<never> { throw needsSessionControl('app.sessions.destroy()'); }
  async destroyAll(): Promise<never> { throw needsSessionControl('app.sessions.destroyAll()'); }
  async revokedAt(): Promise<never> { throw needsSessionControl('app.sessions.revokedAt()'); }
  idOf(): never { throw needsSessionControl('app.sessions.idOf()'); }
}

export function sessionControlOf(app: Application): SessionControl | undefined {
  return Reflect.get(app, CONTROL) as SessionControl | undefined;
}

function asUserId(userId: string | number): string {
  const id = typeof userId === 'number' && Number.isFinite(userId) ? String(userId) : userId;
  if (typeof id === 'string' && id) return id;
  throw new TypeError(`[egg-session-plus] a user id must be a non-empty string or a number, got ${String(userId)}`);
}

/** `app.sessions`. Called in a request (egg's `app.currentContext`) it acts from that request's session: one signed out meanwhile does nothing. */
export class SessionControl {
  readonly #app: Application;
  readonly #index: UserSessionIndex;
  readonly #keeper: IndexKeeper;
  readonly #timeout: number;
  readonly #requests: RequestSide;
  constructor(app: Application, index: UserSessionIndex, keeper: IndexKeeper, timeout: number, requests: RequestSide) {
    this.#app = app;
    this.#index = index;
    this.#keeper = keeper;
    this.#timeout = timeout;
    this.#requests = requests;
  }
  /** The user's live store sessions, most recently seen first. */
  async list(userId: string | number): Promise<SessionInfo[]> {
    const rows = await this.#redis(this.#index.run('list', asUserId(userId), Date.now())) as [ string, string, string | null ][];
    // the user as the app names it: a number stays a number (the index keys it by its string form)
    return rows.flatMap(([ ref, expiresAt, json ]) => {
      const entry = parseEntry(json);
      return entry ? [ { id: ref, userId, ...entry.info, expiresAt: Number(expiresAt) } ] : [];
    }).sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  }
  /** By its id from `list()`; false when there is no such session. */
  async destroy(userId: string | number, id: string, requestCtx?: Context): Promise<boolean> {
    const { user, ctx, caller } = this.#actor(userId, requestCtx);
    if (caller === 'gone') return false;
    const removed = await this.#redis(this.#index.run('remove', user, id, Date.now(), ...callerArgs(caller)));
    const sessionId = parseEntry(removed)?.sessionId;
    if (sessionId) await this.#destroyStored([ sessionId ], ctx, userId, 'destroy');
    return Boolean(sessionId);
  }
  /** All sessions of the user but the kept ones; cookie sessions signed in before are refused from their next request. */
  async destroyAll(userId: string | number, options: DestroyAllOptions = {}): Promise<DestroyAllResult> {
    const { user, ctx, party, caller } = this.#actor(userId, options.ctx);
    const none = async () => ({ destroyed: 0, revokedAt: await this.revokedAt(user) ?? 0 });
    if (caller === 'gone') return none();
    const revokedAt = Date.now();
    const keep = [ options.except ?? [] ].flat();
    if (options.exceptCurrent && caller?.ref) keep.push(caller.ref);
    const reply = await this.#redis(this.#index.run('revokeAll', user, revokedAt, DRAIN_BATCH, ...callerArgs(caller), ...keep)) as unknown[];
    if (reply[0] === 'gone') return none();
    const [ gen, callerKept, ...removed ] = reply as [ number, number, ...unknown[] ];
    let destroyed = 0;
    for (let batch = removed; batch.length;) {
      const sessionIds = sessionIdsOf(batch);
      destroyed += sessionIds.length;
      await this.#destroyStored(sessionIds, ctx, userId, options.reason ?? 'destroyAll');
      batch = batch.length === DRAIN_BATCH ? await this.#redis(this.#index.run('drain', user, gen, DRAIN_BATCH)) as unknown[] : [];
    }
    // the request's own session, when it was still signed in as this user, stays signed in past it
    party?.revoked(user, gen, caller?.ref ? callerKept === 1 : Boolean(options.exceptCurrent));
    return { destroyed, revokedAt };
  }
  revokedAt(userId: string | number): Promise<number | undefined> { return this.#redis(this.#index.revocation(asUserId(userId), 'at')); }
  /** The id `list()` shows for a store session id. */
  idOf(sessionId: string): string { return refOf(sessionId); }
  /** A session outside a request, by its Cookie header, cookie value or store id (README "Sessions outside a request"). */
  load(input: unknown): Promise<LoadedSession | undefined> { return this.#requests.load(input); }
  #actor(userId: string | number, requestCtx: Context | undefined) {
    const user = asUserId(userId);
    const ctx = requestCtx ?? this.#app.currentContext;
    const party = ctx && this.#requests.partyOf(ctx);
    return { user, ctx, party, caller: party?.caller(user) };
  }
  /** A failure is a SessionStoreError (503), as for the store. */
  #redis<T>(work: Promise<T>, operation = 'session control'): Promise<T> {
    return withTimeout(work, this.#timeout, operation).catch(error => {
      throw error instanceof SessionStoreError ? error : new SessionStoreError('session control', error);
    });
  }
  /** Store sessions taken out of the index: destroyed through the store in use, and announced. */
  async #destroyStored(sessionIds: string[], ctx: Context | undefined, user: string | number, reason: DestroyReason): Promise<void> {
    if (!sessionIds.length) return;
    this.#keeper.forget(sessionIds);
    const store = this.#app.sessionStore as SessionStore | undefined;
    if (store) {
      const anonymous = this.#app.createAnonymousContext();
      await this.#redis(Promise.all(sessionIds.map(id => store.destroy(id, { ctx: anonymous }))), 'session store destroy');
    }
    for (const id of sessionIds) announceDestroyed(this.#app, { ctx, user, reason, ref: refOf(id) });
  }
}
