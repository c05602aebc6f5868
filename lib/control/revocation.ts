import type { Application, Context } from 'egg';
import { SessionStoreError, withTimeout, type StoreErrorPolicy } from '../store/guard.js';
import { appUserOf, AUTH_AT, numberField, signedInBefore, userOf } from '../session-meta.js';
import type { SessionControl } from './session-control.js';
import { peekRequestState, requestState } from './state.js';
import { markAnonymous, requestSessionOf } from '../request-session.js';
import { clearCookie, setsCookie } from '../session-cookies.js';
import { emitLifecycle, sessionRef } from '../lifecycle.js';

export interface RevocationSettings {
  userKey: string;
  timeout: number;
  onStoreError: StoreErrorPolicy;
}

function isExpired(data: unknown): boolean {
  const expire = numberField(data, '_expire');
  return expire !== undefined && expire < Date.now();
}

/**
 * Before the handler runs, for a cookie session only: when the cookie carries a user, one Redis
 * read tells whether that user had all sessions destroyed after this one signed in. The verdict
 * is left in the request state, and koa-session's `valid` (lib/koa-options.ts) then rejects the
 * session as invalid. The cookie is read here as koa-session will read it (the request's one
 * reading, legacy cookies verified), so every accepted format passes the same check; a session
 * whose sign-in time is unknown counts as signed in before any revocation.
 */
export async function checkCookieRevocation(ctx: Context, app: Application, control: SessionControl, settings: RevocationSettings): Promise<void> {
  const data = requestSessionOf(ctx).readCookie()?.data;
  const user = userOf(data, settings.userKey);
  if (!user || isExpired(data)) return;
  try {
    const revokedAt = await withTimeout(control.revokedAt(user), settings.timeout, 'session revocation check');
    if (signedInBefore(numberField(data, AUTH_AT) ?? 0, revokedAt)) {
      requestState(ctx).revoked = true;
      emitLifecycle(app, 'revoked', { ctx, user: appUserOf(data, settings.userKey), reason: 'revoked', ref: sessionRef(undefined, data) });
    }
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    app.emit('session:error', { key: ctx.sessionOptions.key, error: err, ctx, operation: 'revocation check' });
    if (settings.onStoreError === 'fail') throw new SessionStoreError('revocation check', err);
    markAnonymous(ctx);
  }
}

/**
 * After a store session was loaded, before the handler: a session of a user who had all sessions
 * revoked after it signed in is destroyed, and the request goes on with a fresh one
 * (`session:invalid`), as for cookie sessions. Only sessions this process has not seen within
 * `touchInterval` are checked (see SessionControl#isRevokedStoreSession).
 */
export async function checkStoreRevocation(ctx: Context, app: Application, control: SessionControl, settings: RevocationSettings): Promise<void> {
  const request = requestSessionOf(ctx);
  const session = request.session;
  const key = request.externalKey;
  if (!session || (session as { isNew?: boolean }).isNew || !key) return;
  let revoked: boolean;
  try {
    revoked = await withTimeout(control.isRevokedStoreSession(key, session), settings.timeout, 'session revocation check');
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    app.emit('session:error', { key, error: err, ctx, operation: 'revocation check' });
    if (settings.onStoreError === 'fail') throw new SessionStoreError('revocation check', err);
    markAnonymous(ctx);
    await request.restartFresh(false);
    return;
  }
  if (!revoked) return;
  setImmediate(() => app.emit('session:invalid', { key, value: 'revoked', ctx }));
  emitLifecycle(app, 'revoked', { ctx, user: appUserOf(session, settings.userKey), reason: 'revoked', ref: sessionRef(key, session) });
  await request.restartFresh(true);
  // its cookie is cleared after the commit unless the fresh session writes one
  requestState(ctx).revoked = true;
}

/** After koa-session committed: clear a revoked cookie nobody replaced. */
export function settleRevokedCookie(ctx: Context, key: string): void {
  if (peekRequestState(ctx)?.revoked && !setsCookie(ctx, key)) clearCookie(ctx, key);
}
