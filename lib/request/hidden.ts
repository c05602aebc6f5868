import type { JsonObject } from '../json.js';

/**
 * The hidden fields of a stored session: its `_` keys, which koa-session's Session#toJSON leaves out
 * of the app's data. One rule keeps the app's data from setting them: they are taken from what was
 * read and verified (hiddenOf) and written from the owner's own record (stampHidden), never from the
 * live session object, whatever the app assigned to it.
 */
export interface Hidden {
  /** koa-session: when the session expires (ms) */
  _expire?: number;
  /** koa-session: its lifetime */
  _maxAge?: number;
  /** koa-session: a browser-session (maxAge 'session') session */
  _session?: true;
  /** when the session was created (absoluteMaxAge counts from it) */
  _created?: number;
  /** when its user signed in */
  _authAt?: number;
  /** the user's generation it was signed in at: older than the user's generation is revoked */
  _gen?: number;
  /** a cookie session's reference in lifecycle events (a cookie session has no id) */
  _ref?: string;
}

const NUMBER_FIELDS = [ '_expire', '_maxAge', '_created', '_authAt', '_gen' ] as const;

/** The hidden fields of data that was read, each only when it has its own type. */
export function hiddenOf(data: JsonObject): Hidden {
  const hidden: Hidden = {};
  for (const field of NUMBER_FIELDS) {
    const value = data[field];
    if (typeof value === 'number' && Number.isFinite(value)) hidden[field] = value;
  }
  if (data._session === true) hidden._session = true;
  if (typeof data._ref === 'string' && /^[\w-]{1,32}$/.test(data._ref)) hidden._ref = data._ref;
  return hidden;
}

/** Browsers cap a cookie's lifetime at 400 days (RFC 6265bis); no session is valid longer on the server. */
export const MAX_LIFETIME = 400 * 24 * 3600 * 1000;
// koa-session's lifetime when none is set
const ONE_DAY = 24 * 3600 * 1000;

/**
 * A loaded session's own lifetime (`_maxAge`, which koa-session makes the request's maxAge) that is no
 * positive number gives way to the configured one.
 */
export function withHonouredLifetime(data: JsonObject): JsonObject {
  const maxAge = data._maxAge;
  if (maxAge !== undefined && !(typeof maxAge === 'number' && maxAge > 0)) delete data._maxAge;
  return data;
}

/**
 * A lifetime the app set on this request, checked before anything is written: whole milliseconds
 * (Redis takes no fractions), at most 400 days. 0, negative or non-numbers are the app's error:
 * koa-session would write a browser-session cookie of a one-day store session, or one the browser drops.
 */
export function checkedLifetime(maxAge: unknown): number | 'session' {
  if (maxAge === undefined) return ONE_DAY;
  if (maxAge === 'session') return maxAge;
  if (typeof maxAge !== 'number' || !(maxAge > 0)) {
    throw new TypeError(`[egg-session-plus] ctx.session.maxAge must be a positive number of milliseconds or 'session' (got ${typeof maxAge === 'string' ? JSON.stringify(maxAge) : String(maxAge)})`);
  }
  return Math.min(Math.ceil(maxAge), MAX_LIFETIME);
}

/** Past its expiry, or created longer than `absoluteMaxAge` ago (then its `_expire` says when that was, for the log line). */
export function isExpired(data: JsonObject, hidden: Hidden, absoluteMaxAge: number | undefined, now = Date.now()): boolean {
  if (absoluteMaxAge && hidden._created !== undefined && hidden._created + absoluteMaxAge <= now) {
    data._expire = hidden._created + absoluteMaxAge;
    return true;
  }
  return hidden._expire !== undefined && hidden._expire < now;
}

export interface StampInput {
  maxAge: number | 'session';
  created: number;
  signIn?: { at: number; gen: number };
  ref?: string;
  /** a cookie session's server-checked lifetime when it is a browser-session one (koa-session writes no `_expire` then) */
  sessionTTL?: number;
}

/** The hidden fields to write with a session now: koa-session's expiry fields and the plugin's own. */
export function stampHidden({ maxAge, created, signIn, ref, sessionTTL }: StampInput, now = Date.now()): Hidden {
  const hidden: Hidden = maxAge === 'session' ? { _session: true } : { _expire: now + maxAge, _maxAge: maxAge };
  if (maxAge === 'session' && sessionTTL) hidden._expire = now + sessionTTL;
  hidden._created = created;
  if (signIn) {
    hidden._authAt = signIn.at;
    hidden._gen = signIn.gen;
  }
  if (ref) hidden._ref = ref;
  return hidden;
}
