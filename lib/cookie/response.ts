import type { Context } from 'egg';
import { chunkCountOf, sentChunks, splitValue } from './chunks.js';

const NO_LINES: string[] = [];
// a Set-Cookie line besides name, value, domain and path, with room to spare: path, max-age, expires (29), samesite, secure, httponly, …
const COOKIE_ATTRIBUTES_BYTES = 200;

export function setCookieLines(ctx: Context): string[] {
  // res.getHeader, not ctx.response.get: koa's header getter copies every header per call
  const header = ctx.res.getHeader('set-cookie');
  return header === undefined ? NO_LINES : Array.isArray(header) ? header : [ String(header) ];
}

export function clearCookie(ctx: Context, name: string): void {
  ctx.cookies.set(name, '', { ...ctx.sessionOptions, signed: false, encrypt: false, expires: new Date(0), maxAge: false } as any);
}

/** Sets session cookie `opts.key`, split over up to `maxChunks` when too large for one (too large even so: whole, for the size check). */
export function setSessionCookie(ctx: Context, opts: Record<string, any>, value: string, limit: number, maxChunks: number): void {
  const key = opts.key as string;
  const overhead = COOKIE_ATTRIBUTES_BYTES + String(opts.domain ?? '').length + String(opts.path ?? '').length;
  const chunks = maxChunks > 1 && key.length + 1 + value.length + overhead > limit ? splitValue(value, key, limit, overhead, maxChunks) : undefined;
  if (chunks) {
    const options = { ...opts, signed: false, encrypt: false, overwrite: true };
    for (let index = 1; index < chunks.length; index++) ctx.cookies.set(`${key}.${index}`, chunks[index], options);
  }
  ctx.cookies.set(key, chunks ? chunks[0] : value, opts);
}

/** Takes session cookie `key` (its `.sig`, its chunks `.1`, `.2`, …) out of the response: the browser keeps what it has. */
export function dropSessionCookies(ctx: Context, key: string): void {
  const own = new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\.sig|\\.[0-9]+)?=`);
  const lines = setCookieLines(ctx);
  const kept = lines.filter(line => !own.test(line));
  if (kept.length === lines.length) return;
  if (kept.length) ctx.res.setHeader('set-cookie', kept);
  else ctx.res.removeHeader('set-cookie');
}

/** The policy when `onCookieTooLarge` is not set (and past the last chunk of 'split'): loud where a developer sees it, logged in production. */
export function defaultCookieSizePolicy(env: string): 'error' | 'warn' {
  return env === 'local' || env === 'unittest' ? 'error' : 'warn';
}

/** The session cookie would be dropped by browsers: answered instead of silently logging the user out. */
export class SessionCookieTooLargeError extends Error {
  readonly status = 500;
  readonly code = 'SESSION_COOKIE_TOO_LARGE';
  override name = 'SessionCookieTooLargeError';
  readonly size: number;
  readonly limit: number;
  constructor(key: string, size: number, limit: number) {
    super(`Session cookie "${key}" is ${size} bytes, over cookieSizeLimit ${limit} bytes: browsers drop it. ` +
      'Keep less in the session or use a session store.');
    this.size = size;
    this.limit = limit;
  }
}

/** `fallback`: what applies past the last chunk of 'split'. */
export interface CookieSizeSettings { key: string; limit: number; policy: 'error' | 'warn' | 'split'; fallback: 'error' | 'warn' }

// Under 'anonymous' a failed store left the browser's cookie true, so no session cookie goes out, but a cookie session's logout needs no store and is
// cleared; a revoked session's cookie is cleared unless a new session replaced it. Then the size check.
export function settleSessionCookies(ctx: Context, size: CookieSizeSettings, how: { anonymous: boolean; revoked: boolean; loggedOut: boolean }): void {
  const { key } = size;
  if (how.revoked && !setCookieLines(ctx).some(line => line.startsWith(`${key}=`))) clearCookie(ctx, key);
  if (how.anonymous) dropSessionCookies(ctx, key);
  if (how.anonymous && how.loggedOut) clearCookie(ctx, key);
  checkCookieSize(ctx, size);
}

// Over `limit`, 'error' takes the cookie out of the response (the browser keeps its previous one) and throws; 'warn' logs. Under 'split' the chunks
// the request sent that the new cookie does not use are cleared, and a cookie still too large follows `fallback`.
export function checkCookieSize(ctx: Context, { key, limit, policy, fallback }: CookieSizeSettings): void {
  const prefix = `${key}=`;
  let size = 0;
  let count = 1;
  for (const line of setCookieLines(ctx)) {
    if (!line.startsWith(prefix)) continue;
    size = Math.max(size, Buffer.byteLength(line));
    count = chunkCountOf(line.slice(prefix.length));
  }
  const unused = policy === 'split' && size ? sentChunks(String(ctx.get('cookie') ?? ''), key).filter(index => index >= count) : [];
  for (const index of unused) clearCookie(ctx, `${key}.${index}`);
  if (size <= limit) return;
  if ((policy === 'split' ? fallback : policy) === 'error') {
    dropSessionCookies(ctx, key);
    throw new SessionCookieTooLargeError(key, size, limit);
  }
  ctx.coreLogger.warn('[session][too-large] key(%s) size(%d) limit(%d): browsers drop this cookie', key, size, limit);
}
