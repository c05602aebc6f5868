import { randomBytes } from 'node:crypto';
import type { Context } from 'egg';

/** The lifecycle events this plugin emits on the app (`session:expired` is koa-session's own). */
export type LifecycleEventName = 'created' | 'regenerated' | 'destroyed' | 'revoked' | 'evicted';

export type DestroyReason = 'logout' | 'destroy' | 'destroyOthers' | 'destroyAll';

/** The payload of `session:created|regenerated|destroyed|revoked|evicted`. */
export interface SessionLifecycleEvent {
  /** the request, when the change happened in one */
  ctx?: Context;
  /** the session's user as the app set it, or the argument of an `app.sessions` call */
  user?: string | number;
  /** 'new', 'regenerate', a DestroyReason, 'revoked', 'maxSessionsPerUser' */
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

export interface Described {
  ref?: string;
  user?: string | number;
}

/** A new random reference for a cookie session (it has no id). */
export function newCookieRef(): string {
  return randomBytes(12).toString('base64url');
}

/** Emits `session:<name>` after the current step, as koa-session does; without a listener it costs one listenerCount. */
export function emitLifecycle(app: Emitter, name: LifecycleEventName, payload: SessionLifecycleEvent): void {
  const event = `session:${name}`;
  if (app.listenerCount(event)) setImmediate(() => app.emit(event, payload));
}

const RECENT_MS = 10_000;
const recent = new Map<string, number>();

/** `session:destroyed`, at most once per session: per request (`announced`), and within 10 s (a job's destroyAll, then a logout of one of them). */
export function announceDestroyed(app: Emitter, payload: SessionLifecycleEvent, announced?: Set<string>): void {
  const { ref } = payload;
  if (ref) {
    const now = Date.now();
    if (announced?.has(ref) || now - (recent.get(ref) ?? -Infinity) < RECENT_MS) return;
    announced?.add(ref);
    recent.set(ref, now);
    if (recent.size > 1000) recent.delete(recent.keys().next().value as string);
  }
  emitLifecycle(app, 'destroyed', payload);
}

/**
 * What one request announces, in order: the session `ctx.session = null` destroyed (at commit); a new
 * session (at its first save, or at the end of the request when regenerate() saved it first: the login
 * pattern sets the user after `await regenerate()`); a regenerate() (at the end of the request).
 */
export class Announcer {
  readonly #ctx: Context;
  readonly announced = new Set<string>();
  /** why `ctx.session = null` happens in this request (default 'logout') */
  destroyReason: DestroyReason | undefined;
  #gone: Described | undefined;
  #created = false;
  #createdAtEnd = false;
  #regenerated: { previousRef?: string } | undefined;

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  loggedOut(session: Described): void {
    this.#gone = session;
  }

  /** The destroyed session's `session:destroyed`, once; none when the destroy failed and it lives on (`alive`). */
  gone(alive: boolean): void {
    const gone = this.#gone;
    this.#gone = undefined;
    if (gone && !alive) announceDestroyed(this.#ctx.app, { ctx: this.#ctx, reason: this.destroyReason ?? 'logout', ...gone }, this.announced);
  }

  created(session: () => Described, regenerating: boolean): void {
    if (this.#created) return;
    this.#created = true;
    if (regenerating) this.#createdAtEnd = true;
    else emitLifecycle(this.#ctx.app, 'created', { ctx: this.#ctx, reason: 'new', ...session() });
  }

  regenerated(previousRef: string | undefined): void {
    this.#regenerated = { previousRef };
  }

  /** What waits for the end of a commit or the request, once the new session has its user; nothing for one gone or unsaved. */
  settle(session: (() => Described) | undefined): void {
    const { app } = this.#ctx;
    const ctx = this.#ctx;
    if (session && this.#createdAtEnd) emitLifecycle(app, 'created', { ctx, reason: 'new', ...session() });
    if (session && this.#regenerated) emitLifecycle(app, 'regenerated', { ctx, reason: 'regenerate', previousRef: this.#regenerated.previousRef, ...session() });
    this.#createdAtEnd = false;
    this.#regenerated = undefined;
  }
}
