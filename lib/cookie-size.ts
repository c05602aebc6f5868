import type { Context } from 'egg';
import { dropSessionCookies, setCookieLines } from './session-cookies.js';

export type CookieSizePolicy = 'error' | 'warn';

/** The policy when `onCookieTooLarge` is not set: loud where a developer sees it, logged in production. */
export function defaultCookieSizePolicy(env: string): CookieSizePolicy {
  return env === 'local' || env === 'unittest' ? 'error' : 'warn';
}

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

/** Byte size of the largest `Set-Cookie` line (name, value and attributes) starting with `prefix`. */
function largestLine(lines: string[], prefix: string): number {
  let size = 0;
  for (const line of lines) {
    if (line.startsWith(prefix)) size = Math.max(size, Buffer.byteLength(line));
  }
  return size;
}

/**
 * Returns the per-response check for the session cookie `key`. Over `limit`:
 * 'error' removes the session cookie (and its `.sig`) from the response, so the browser keeps its
 * previous cookie, and throws SessionCookieTooLargeError; 'warn' logs and lets the cookie go.
 */
export function createCookieSizeCheck(key: string, limit: number, policy: CookieSizePolicy): (ctx: Context) => void {
  const prefix = `${key}=`;
  return function checkCookieSize(ctx) {
    const lines = setCookieLines(ctx);
    const size = largestLine(lines, prefix);
    if (size <= limit) return;
    if (policy === 'warn') {
      ctx.coreLogger.warn('[session][too-large] key(%s) size(%d) limit(%d): browsers drop this cookie', key, size, limit);
      return;
    }
    dropSessionCookies(ctx, key);
    throw new SessionCookieTooLargeError(key, size, limit);
  };
}
