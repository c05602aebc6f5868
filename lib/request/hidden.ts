import type { Context } from 'egg';
import { isSessionShaped, type JsonObject } from '../json.js';
import type { User } from './sign-in.js';

/**
 * The hidden fields of a stored session: its `_` keys, which koa-session's Session#toJSON leaves out of
 * the app's data. One rule keeps the app from setting them: they are taken from what was read and
 * verified (hiddenOf) and written from the owner's own record (stampHidden), never from the session object.
 */
export interface Hidden {
  /** koa-session's expiry (ms) */
  _expire?: number;
  /** koa-session's lifetime */
  _maxAge?: number;
  /** koa-session: a browser-session (maxAge 'session') session */
  _session?: true;
  /** when the session was created: absoluteMaxAge counts from it */
  _created?: number;
  /** when its user signed in */
  _authAt?: number;
  /** its user's generation at sign-in: one older than the user's generation now is revoked */
  _gen?: number;
  /** a cookie session's reference in lifecycle events */
  _ref?: string;
}

const NUMBERS = [ '_expire', '_maxAge', '_created', '_authAt', '_gen' ] as const;
const REF = /^[\w-]{1,32}$/;

/** The hidden fields of data that was read, each only with its own type. */
export function hiddenOf(data: JsonObject): Hidden {
  const hidden: Hidden = {};
  for (const field of NUMBERS) if (Number.isFinite(data[field])) hidden[field] = data[field] as number;
  if (data._session === true) hidden._session = true;
  if (typeof data._ref === 'string' && REF.test(data._ref)) hidden._ref = data._ref;
  return hidden;
}

/** Browsers cap a cookie's lifetime at 400 days (RFC 6265bis); no session lives longer on the server. */
export const MAX_LIFETIME = 400 * 24 * 3600 * 1000;
const ONE_DAY = 24 * 3600 * 1000;

/**
 * The lifetime to write with: whole milliseconds (Redis takes no fractions), at most 400 days. 0,
 * negative or non-numbers set by the app fail the request: koa-session would write a browser-session
 * cookie of a one-day store session, or one the browser drops at once.
 */
export function checkedLifetime(maxAge: unknown): number | 'session' {
  if (maxAge === undefined || maxAge === 'session') return maxAge ?? ONE_DAY;
  if (typeof maxAge !== 'number' || !(maxAge > 0)) {
    throw new TypeError(`[egg-session-plus] ctx.session.maxAge must be a positive number of milliseconds or 'session' (got ${typeof maxAge === 'string' ? JSON.stringify(maxAge) : String(maxAge)})`);
  }
  return Math.min(Math.ceil(maxAge), MAX_LIFETIME);
}

/**
 * The hidden fields of data that was read, and whether it is past its expiry or was created longer than
 * `absoluteMaxAge` ago (its `_expire` then says when, for the log line).
 */
export function readHidden(data: JsonObject, absoluteMaxAge: number | undefined, now = Date.now()): { hidden: Hidden; expired: boolean } {
  const hidden = hiddenOf(data);
  if (absoluteMaxAge && hidden._created !== undefined && hidden._created + absoluteMaxAge <= now) {
    data._expire = hidden._created + absoluteMaxAge;
    return { hidden, expired: true };
  }
  return { hidden, expired: hidden._expire !== undefined && hidden._expire < now };
}

export interface StampInput {
  /** the lifetime set for the request (`ctx.sessionOptions.maxAge`), checked here */
  maxAge: unknown;
  created: number;
  signIn?: { at: number; gen: number };
  ref?: string;
  /** a browser-session cookie session's server-checked lifetime (koa-session writes no `_expire` for one) */
  sessionTTL?: number;
}

/** The hidden fields to write with a session now (koa-session's expiry fields and the plugin's own), and its checked lifetime. */
export function stampHidden({ maxAge: requested, created, signIn, ref, sessionTTL }: StampInput, now = Date.now()): { hidden: Hidden; maxAge: number | 'session' } {
  const maxAge = checkedLifetime(requested);
  const hidden: Hidden = maxAge === 'session' ? { _session: true } : { _expire: now + maxAge, _maxAge: maxAge };
  if (maxAge === 'session' && sessionTTL) hidden._expire = now + sessionTTL;
  hidden._created = created;
  if (signIn) {
    hidden._authAt = signIn.at;
    hidden._gen = signIn.gen;
  }
  if (ref) hidden._ref = ref;
  return { hidden, maxAge };
}

export interface VerdictChecks {
  absoluteMaxAge: number | undefined;
  userOf(session: unknown): User | undefined;
  /** the app's own `valid(ctx, data)` (koa-session's option) */
  appValid?: (ctx: Context, data: unknown) => unknown;
}

export interface Verdict {
  /** koa-session's event for data it refuses: 'missed', 'expired' or 'invalid' */
  event?: 'missed' | 'expired' | 'invalid';
  hidden: Hidden;
  user?: User;
}

/**
 * The verdict on data that was read, koa-session's and the plugin's: missing, expired (also by
 * `absoluteMaxAge`), or not a session koa-session wrote (a class instance, `__proto__`, a Session model
 * key), a revoked one, one whose user session control cannot index, or one the app's `valid` refuses.
 */
export function verdictOn(data: unknown, revoked: boolean, ctx: Context, checks: VerdictChecks): Verdict {
  if (!data) return { event: 'missed', hidden: {} };
  if (typeof data !== 'object' || !isSessionShaped(data)) return { event: 'invalid', hidden: {} };
  const { hidden, expired } = readHidden(data, checks.absoluteMaxAge);
  if (expired) return { event: 'expired', hidden };
  let user: User | undefined;
  try {
    user = checks.userOf(data);
  } catch {
    return { event: 'invalid', hidden };
  }
  return revoked || (checks.appValid && !checks.appValid(ctx, data)) ? { event: 'invalid', hidden } : { hidden, user };
}
