import type { Context } from 'egg';

export type CookieSizePolicy = 'error' | 'warn';

/** The session cookie would be dropped by browsers: answered instead of silently logging the user out. */
export class SessionCookieTooLargeError extends Error {
  readonly status = 500;
  readonly code = 'SESSION_COOKIE_TOO_LARGE';
  readonly size: number;
  readonly limit: number;

  constructor(key: string, size: number, limit: number) {
    super(`Session cookie "${key}" is ${size} bytes, over cookieSizeLimit ${limit} bytes: browsers drop it. ` +
      'Keep less in the session or use a session store.');
    this.name = 'SessionCookieTooLargeError';
    this.size = size;
    this.limit = limit;
  }
}

/** Byte size of the `Set-Cookie` line (name, value and attributes) this response sends for `key`. */
export function setCookieSize(ctx: Context, key: string): number {
  const header = ctx.response.get('set-cookie') as string | string[] | undefined;
  if (!header) return 0;
  const prefix = `${key}=`;
  const lines = Array.isArray(header) ? header : [ header ];
  let size = 0;
  for (const line of lines) {
    if (line.startsWith(prefix)) size = Math.max(size, Buffer.byteLength(line));
  }
  return size;
}

export function checkCookieSize(ctx: Context, key: string, limit: number, policy: CookieSizePolicy): void {
  const size = setCookieSize(ctx, key);
  if (size <= limit) return;
  if (policy === 'error') throw new SessionCookieTooLargeError(key, size, limit);
  ctx.coreLogger.warn('[session][too-large] key(%s) size(%d) limit(%d): browsers drop this cookie', key, size, limit);
}
