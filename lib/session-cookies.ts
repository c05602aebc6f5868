import type { Context } from 'egg';

const NO_LINES: string[] = [];

/** The response's `Set-Cookie` lines so far. */
export function setCookieLines(ctx: Context): string[] {
  // res.getHeader, not ctx.response.get: koa's header getter copies every header per call
  const header = ctx.res.getHeader('set-cookie');
  if (header === undefined) return NO_LINES;
  return Array.isArray(header) ? header : [ String(header) ];
}

const COOKIE_EPOCH = new Date(0);

/** Clears cookie `name` in the browser, with the session cookie's options (path, domain, …). */
export function clearCookie(ctx: Context, name: string): void {
  ctx.cookies.set(name, '', { ...ctx.sessionOptions, signed: false, encrypt: false, expires: COOKIE_EPOCH, maxAge: false } as any);
}

/** True when the response sets (or clears) cookie `key`. */
export function setsCookie(ctx: Context, key: string): boolean {
  const prefix = `${key}=`;
  return setCookieLines(ctx).some(line => line.startsWith(prefix));
}

/** Takes the session cookie `key` (its `.sig`, and its chunks `.1`, `.2`, …) out of the response: the browser keeps what it has. */
export function dropSessionCookies(ctx: Context, key: string): void {
  const own = new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\.sig|\\.[0-9]+)?=`);
  const lines = setCookieLines(ctx);
  const kept = lines.filter(line => !own.test(line));
  if (kept.length === lines.length) return;
  if (kept.length) ctx.res.setHeader('set-cookie', kept);
  else ctx.res.removeHeader('set-cookie');
}
