import type { EventEmitter } from 'node:events';

const SEMICOLON = 59;
const SPACE = 32;

/** True when `at` starts a cookie pair in a Cookie header: at the start or after `;` and spaces. */
function startsPair(header: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && header.charCodeAt(i) === SPACE) i--;
  return i < 0 || header.charCodeAt(i) === SEMICOLON;
}

/**
 * True when the Cookie header's first `name=` pair (the one egg reads) has an empty value.
 * koa-session reads that as "no cookie" and would start a new session without a word.
 * `prefix` is `name=`. Scans without allocating: this runs on every request.
 */
export function sendsEmptyCookie(header: string | undefined, prefix: string): boolean {
  if (!header) return false;
  let at = header.indexOf(prefix);
  while (at >= 0) {
    if (startsPair(header, at)) {
      const end = at + prefix.length;
      return end === header.length || header.charCodeAt(end) === SEMICOLON;
    }
    at = header.indexOf(prefix, at + 1);
  }
  return false;
}

/**
 * Returns the per-request check that reports an empty session cookie (`EGG_SESS=`) as
 * `session:invalid`, like every other unreadable cookie; koa-session itself stays silent.
 */
export function createEmptyCookieReport(app: EventEmitter, key: string): (ctx: { get(field: string): string }) => void {
  const prefix = `${key}=`;
  return function reportEmptyCookie(ctx) {
    if (!sendsEmptyCookie(ctx.get('cookie'), prefix)) return;
    // emitted later, as koa-session emits its events
    setImmediate(() => app.emit('session:invalid', { key: undefined, value: '', ctx }));
  };
}
