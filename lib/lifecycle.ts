import { randomBytes } from 'node:crypto';
import type { Context } from 'egg';
import { sessionHandle } from './redis-keys.js';

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

/** The hidden field that holds a cookie session's reference (a cookie session has no id). */
export const REF = '_ref';

/** A new random reference for a cookie session. */
export function newCookieRef(): string {
  return randomBytes(12).toString('base64url');
}

/** The reference of a session: its store id's handle, or a cookie session's `_ref`. */
export function sessionRef(storeId: string | undefined, session: unknown): string | undefined {
  if (storeId) return sessionHandle(storeId);
  const ref = (session as Record<string, unknown> | null | undefined)?.[REF];
  return typeof ref === 'string' ? ref : undefined;
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

/** True when anyone listens to `session:<name>` (so a caller can skip building the payload). */
export function isObserved(app: Emitter, name: LifecycleEventName): boolean {
  return app.listenerCount(`session:${name}`) > 0;
}
