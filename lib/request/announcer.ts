import { randomBytes } from 'node:crypto';
import type { Context } from 'egg';

/** The lifecycle events this plugin emits on the app (`session:expired` is koa-session's own). */
export type LifecycleEventName = 'created' | 'regenerated' | 'destroyed' | 'revoked' | 'evicted';

/** Why a session was destroyed. */
export type DestroyReason = 'logout' | 'destroy' | 'destroyOthers' | 'destroyAll';

/** The payload of `session:created|regenerated|destroyed|revoked|evicted`. */
export interface SessionLifecycleEvent {
  /** the request, when the change happened in one (not for `app.sessions` calls from a job) */
  ctx?: Context;
  /** the session's user as the app set it (`ctx.session[config.session.userKey]`, or the argument of an `app.sessions` call), when known */
  user?: string | number;
  /** what happened: 'new', 'regenerate', a DestroyReason, 'revoked', 'maxSessionsPerUser' */
  reason: string;
  /** a stable, non-secret reference of the session (never its id or cookie): `ctx.sessions.list()`'s id for store sessions */
  ref?: string;
  /** `regenerated` only: the reference of the session it replaced */
  previousRef?: string;
}

interface Emitter {
  emit(event: string, payload: unknown): unknown;
  listenerCount(event: string): number;
}

/** A session as events name it. */
export interface Described {
  ref?: string;
  user?: string | number;
}

/** A new random reference for a cookie session. */
export function newCookieRef(): string {
  return randomBytes(12).toString('base64url');
}

/**
 * Emits `session:<name>` after the current step (as koa-session emits its events), and only when
 * someone listens: an app without listeners pays one listenerCount per change, nothing per request.
 */
export function emitLifecycle(app: Emitter, name: LifecycleEventName, payload: SessionLifecycleEvent): void {
  const event = `session:${name}`;
  if (!app.listenerCount(event)) return;
  setImmediate(() => app.emit(event, payload));
}

const RECENT_MS = 10_000;
const RECENT_MAX = 1000;
const recent = new Map<string, number>();

/** `session:destroyed` of `ref` was announced in the last RECENT_MS (`app.sessions.destroyAll()` from a job, then `ctx.session = null` for one of them). */
function announcedRecently(ref: string, now = Date.now()): boolean {
  const at = recent.get(ref);
  if (at !== undefined && now - at < RECENT_MS) return true;
  recent.set(ref, now);
  if (recent.size > RECENT_MAX) recent.delete(recent.keys().next().value as string);
  return false;
}

/** `session:destroyed`, at most once per session (`announced`: what this request announced already). */
export function announceDestroyed(app: Emitter, payload: SessionLifecycleEvent, announced?: Set<string>): void {
  if (payload.ref) {
    if (announced?.has(payload.ref)) return;
    announced?.add(payload.ref);
    if (announcedRecently(payload.ref)) return;
  }
  emitLifecycle(app, 'destroyed', payload);
}

/**
 * What one request announces, in order: a session `ctx.session = null` destroyed (at commit), a new
 * session (at its first save, or at the end of the request when regenerate() saved it first: the
 * login pattern sets the user after `await regenerate()`), a regenerate() (at the end of the request).
 */
export class Announcer {
  readonly #ctx: Context;
  /** destroyed sessions this request announced (a "log out everywhere" also ends this one) */
  readonly announced = new Set<string>();
  /** why `ctx.session = null` happens in this request (default 'logout') */
  destroyReason: DestroyReason | undefined;
  #gone: Described | undefined;
  #createdAnnounced = false;
  #createdAtEnd = false;
  #regenerated: { previousRef?: string } | undefined;

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  loggedOut(session: Described): void {
    this.#gone = session;
  }

  /** `session:destroyed` of the session `ctx.session = null` destroyed, once; nothing when its destroy failed (`alive`). */
  gone(alive: boolean): void {
    const gone = this.#gone;
    this.#gone = undefined;
    if (gone && !alive) announceDestroyed(this.#ctx.app, { ctx: this.#ctx, reason: this.destroyReason ?? 'logout', ...gone }, this.announced);
  }

  /** A session saved for the first time. */
  created(session: () => Described, regenerating: boolean): void {
    if (this.#createdAnnounced) return;
    this.#createdAnnounced = true;
    if (regenerating) this.#createdAtEnd = true;
    else emitLifecycle(this.#ctx.app, 'created', { ctx: this.#ctx, reason: 'new', ...session() });
  }

  regenerated(previousRef: string | undefined): void {
    this.#regenerated = { previousRef };
  }

  /** What waits for the end of the request (or of a commit), once the new session has its user; nothing for a session that is gone or unsaved. */
  settle(session: (() => Described) | undefined): void {
    const regenerated = this.#regenerated;
    const created = this.#createdAtEnd;
    this.#regenerated = undefined;
    this.#createdAtEnd = false;
    if (!session) return;
    const ctx = this.#ctx;
    if (created) emitLifecycle(ctx.app, 'created', { ctx, reason: 'new', ...session() });
    if (regenerated) emitLifecycle(ctx.app, 'regenerated', { ctx, reason: 'regenerate', previousRef: regenerated.previousRef, ...session() });
  }
}
