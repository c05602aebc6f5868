import type { Application, Context } from 'egg';
import { decodeBase64Json, LegacyCookie } from '../cookie-codec.js';
import { SessionStoreError, withTimeout, type StoreErrorPolicy } from '../store/guard.js';
import { AUTH_AT, numberField, userOf } from './meta.js';
import type { SessionControl } from './session-control.js';
import { peekRequestState, requestState } from './state.js';

export interface RevocationSettings {
  userKey: string;
  timeout: number;
  onStoreError: StoreErrorPolicy;
}

type Decode = (value: string) => unknown;

function isExpired(data: unknown): boolean {
  const expire = numberField(data, '_expire');
  return expire !== undefined && expire < Date.now();
}

/**
 * Before the handler runs, for a cookie session only: when the cookie carries a user, one Redis
 * read tells whether that user had all sessions destroyed after this one signed in. The verdict
 * is left in the request state, and koa-session's `valid` (koa-hooks.ts) then rejects the
 * session as invalid. The cookie is decoded here once; koa-session reuses the result.
 */
export async function checkCookieRevocation(ctx: Context, app: Application, control: SessionControl, settings: RevocationSettings): Promise<void> {
  const options = ctx.sessionOptions;
  const raw = ctx.cookies.get(options.key, options) as string | undefined;
  if (!raw) return;
  const decode = options.decode as Decode;
  const data = decode(raw);
  options.decode = (value: string) => (value === raw ? data : decode(value));
  // a legacy cookie is verified later by `valid`; its user is enough to decide whether to look
  const peek = data instanceof LegacyCookie ? decodeBase64Json(data.raw) : data;
  const user = userOf(peek, settings.userKey);
  if (!user || isExpired(peek)) return;
  try {
    const revokedAt = await withTimeout(control.revokedAt(user), settings.timeout, 'session revocation check');
    if (revokedAt !== undefined && (numberField(peek, AUTH_AT) ?? 0) <= revokedAt) requestState(ctx).revoked = true;
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    app.emit('session:error', { key: options.key, error: err, ctx, operation: 'revocation check' });
    if (settings.onStoreError === 'fail') throw new SessionStoreError('revocation check', err);
    requestState(ctx).anonymous = true;
  }
}

const COOKIE_EPOCH = new Date(0);

/** After koa-session committed: clear a revoked cookie nobody replaced; never overwrite a cookie in anonymous mode. */
export function settleRevokedCookie(ctx: Context, key: string): void {
  const state = peekRequestState(ctx);
  if (!state) return;
  if (state.anonymous) {
    removeSetCookie(ctx, key);
    return;
  }
  if (state.revoked && !setCookieLines(ctx).some(line => line.startsWith(`${key}=`))) {
    ctx.cookies.set(key, '', { ...ctx.sessionOptions, expires: COOKIE_EPOCH, maxAge: false } as any);
  }
}

function setCookieLines(ctx: Context): string[] {
  const header = ctx.response.get('set-cookie') as string | string[] | undefined;
  if (!header) return [];
  return Array.isArray(header) ? header : [ header ];
}

function removeSetCookie(ctx: Context, key: string): void {
  const lines = setCookieLines(ctx).filter(line => !line.startsWith(`${key}=`) && !line.startsWith(`${key}.sig=`));
  if (lines.length) ctx.set('set-cookie', lines);
  else ctx.remove('set-cookie');
}
