import { randomBytes } from 'node:crypto';
import type { Context } from 'egg';

export type LifecycleEventName = 'created' | 'regenerated' | 'destroyed' | 'revoked' | 'evicted';
export type DestroyReason = 'logout' | 'destroy' | 'destroyOthers' | 'destroyAll';

/** The payload of `session:created|regenerated|destroyed|revoked|evicted`. */
export interface SessionLifecycleEvent {
  /** the request, when the change happened in one */ ctx?: Context;
  /** as the app set it, or the argument of an `app.sessions` call */ user?: string | number;
  /** 'new', 'regenerate', a DestroyReason, 'revoked', 'maxSessionsPerUser' */ reason: string;
  /** a stable, non-secret reference (never the id or cookie): ctx.sessions.list()'s id for store sessions */ ref?: string;
  /** `regenerated` only: the session it replaced */ previousRef?: string;
}

interface Emitter { emit(event: string, payload: unknown): unknown; listenerCount(event: string): number }

export type Described = Pick<SessionLifecycleEvent, 'ref' | 'user'>;
export const newCookieRef = (): string => randomBytes(12).toString('base64url');

/** After the current step, as koa-session emits; without a listener it costs one listenerCount. */
export function emitLifecycle(app: Emitter, name: LifecycleEventName, payload: SessionLifecycleEvent): void {
  const event = `session:${name}`;
  if (app.listenerCount(event)) setImmediate(() => app.emit(event, payload));
}

const RECENT_MS = 10_000;
const recent = new Map<string, number>();

/** At most once per session: per request, and within 10 s (a job's destroyAll, then a logout of one of them). */
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

// One request's events, in order: the session `ctx.session = null` destroyed (at commit); a new session (at its first save, or at the end when
// regenerate() saved it: the login sets the user after `await regenerate()`); a regenerate() (at the end).
export class Announcer {
  readonly #ctx: Context;
  readonly announced = new Set<string>();
  destroyReason: DestroyReason | undefined;
  #gone: Described | undefined;
  #created = false;
  #createdAtEnd = false;
  #regenerated: { previousRef?: string } | undefined;
  constructor(ctx: Context) { this.#ctx = ctx; }
  loggedOut(session: Described): void { this.#gone = session; }
  /** none when the destroy failed and the session lives on (`alive`) */
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
  regenerated(previousRef: string | undefined): void { this.#regenerated = { previousRef }; }
  /** What waits for the new session's user; nothing for one gone or unsaved. */
  settle(session: (() => Described) | undefined): void {
    const ctx = this.#ctx;
    const { app } = ctx;
    if (session && this.#createdAtEnd) emitLifecycle(app, 'created', { ctx, reason: 'new', ...session() });
    if (session && this.#regenerated) emitLifecycle(app, 'regenerated', { ctx, reason: 'regenerate', previousRef: this.#regenerated.previousRef, ...session() });
    this.#createdAtEnd = false;
    this.#regenerated = undefined;
  }
}
