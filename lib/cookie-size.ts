import type { Context } from 'egg';
import { clearCookie, dropSessionCookies, setCookieLines } from './session-cookies.js';
import { chunkCountOf } from './cookie-chunks.js';

export type CookieSizePolicy = 'error' | 'warn' | 'split';

/** The policy when `onCookieTooLarge` is not set (and past the last chunk of 'split'): loud where a developer sees it, logged in production. */
export function defaultCookieSizePolicy(env: string): 'error' | 'warn' {
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

export interface CookieSizeSettings {
  limit: number;
  policy: CookieSizePolicy;
  /** 'split': what applies to a cookie still over `limit` (too large even split over the most chunks) */
  fallback: 'error' | 'warn';
}

/** The names `<key>.1`, `<key>.2`, … of the chunk cookies this request sent. */
function sentChunks(ctx: Context, key: string): string[] {
  const header = String(ctx.get('cookie') ?? '');
  if (!header.includes(`${key}.`)) return [];
  const names: string[] = [];
  for (const pair of header.split(';')) {
    const name = pair.slice(0, pair.indexOf('=')).trim();
    // at most the chunks any configuration makes (maxCookieChunks <= 20): a request cannot make a response huge
    if (name.startsWith(`${key}.`) && /^([1-9]|1[0-9])$/.test(name.slice(key.length + 1))) names.push(name);
  }
  return names;
}

/** How many chunks the session cookie of this response has (1: not split). */
function chunkCount(lines: string[], prefix: string): number {
  const line = lines.find(candidate => candidate.startsWith(prefix));
  return line ? chunkCountOf(line.slice(prefix.length)) : 1;
}

/**
 * Returns the per-response check for the session cookie `key`. Over `limit`:
 * 'error' removes the session cookie (and its `.sig`) from the response, so the browser keeps its
 * previous cookie, and throws SessionCookieTooLargeError; 'warn' logs and lets the cookie go.
 * 'split' (the cookie was cut into chunks when it was encoded: lib/request-session.ts) clears the
 * chunks the request sent that the new cookie does not use, and for a cookie still too large (past
 * `maxCookieChunks`, the owner writes it whole) does what `fallback` says.
 */
export function createCookieSizeCheck(key: string, settings: CookieSizeSettings): (ctx: Context) => void {
  const { limit, policy, fallback } = settings;
  const prefix = `${key}=`;
  return function checkCookieSize(ctx) {
    const lines = setCookieLines(ctx);
    const size = largestLine(lines, prefix);
    if (policy === 'split' && size) clearChunks(ctx, chunkCount(lines, prefix));
    if (size <= limit) return;
    if ((policy === 'split' ? fallback : policy) === 'warn') {
      ctx.coreLogger.warn('[session][too-large] key(%s) size(%d) limit(%d): browsers drop this cookie', key, size, limit);
      return;
    }
    dropSessionCookies(ctx, key);
    throw new SessionCookieTooLargeError(key, size, limit);
  };

  /** Clears the chunks from `from` on that the request sent (a larger earlier session's). */
  function clearChunks(ctx: Context, from: number): void {
    for (const name of sentChunks(ctx, key)) {
      if (Number(name.slice(key.length + 1)) >= from) clearCookie(ctx, name);
    }
  }
}
