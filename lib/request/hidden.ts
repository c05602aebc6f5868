import type { Context } from 'egg';
import { isSessionShaped, type JsonObject } from '../json.js';
import type { User } from './sign-in.js';

// A stored session's hidden `_` fields, which koa-session's Session#toJSON leaves out of the app's data. One rule keeps the app from setting them:
// they are read only from verified data (hiddenOf) and written only from the owner's own record (stampHidden), never from the session object.
export interface Hidden {
  _expire?: number; // koa-session's expiry (ms)
  _maxAge?: number; // koa-session's lifetime
  _session?: true; // koa-session: a browser-session (maxAge 'session') session
  _created?: number; // absoluteMaxAge counts from it
  _authAt?: number; // when its user signed in
  _gen?: number; // its user's generation at sign-in: older than the user's generation now is revoked
  _ref?: string; // a cookie session's reference in lifecycle events
}

const NUMBERS = [ '_expire', '_maxAge', '_created', '_authAt', '_gen' ] as const;
const REF = /^[\w-]{1,32}$/;

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

// Whole milliseconds (Redis takes no fractions), at most 400 days. 0, negative or non-numbers set by the app fail the request: koa-session would
// write a browser-session cookie of a one-day store session, or one the browser drops at once.
export function checkedLifetime(maxAge: unknown): number | 'session' {
  if (maxAge === undefined || maxAge === 'session') return maxAge ?? ONE_DAY;
  if (typeof maxAge !== 'number' || !(maxAge > 0)) {
    throw new TypeError(`[egg-session-plus] ctx.session.maxAge must be a positive number of milliseconds or 'session' (got ${typeof maxAge === 'string' ? JSON.stringify(maxAge) : String(maxAge)})`);
  }
  return Math.min(Math.ceil(maxAge), MAX_LIFETIME);
}

/** Past its expiry, or created longer than `absoluteMaxAge` ago (its `_expire` then says when, for the log line)? */
export function readHidden(data: JsonObject, absoluteMaxAge: number | undefined, now = Date.now()): { hidden: Hidden; expired: boolean } {
  const hidden = hiddenOf(data);
  if (absoluteMaxAge && hidden._created !== undefined && hidden._created + absoluteMaxAge <= now) {
    data._expire = hidden._created + absoluteMaxAge;
    return { hidden, expired: true };
  }
  return { hidden, expired: hidden._expire !== undefined && hidden._expire < now };
}

interface StampInput {
  maxAge: unknown; created: number; signIn?: { at: number; gen: number }; ref?: string; // maxAge: ctx.sessionOptions.maxAge, checked here
  sessionTTL?: number; // a browser-session cookie's server-checked lifetime (koa-session writes no `_expire` for one)
}

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

export interface Verdict {
  event?: 'missed' | 'expired' | 'invalid'; // koa-session's event for data it refuses
  hidden: Hidden; user?: User;
}

// koa-session's verdict and the plugin's: missing, expired (also by `absoluteMaxAge`), not a session koa-session wrote (a class instance,
// `__proto__`, a Session model key), revoked, a user session control cannot index, or refused by the app's `valid`.
export function verdictOn(data: unknown, revoked: boolean, ctx: Context, checks: {
  absoluteMaxAge: number | undefined; userOf(session: unknown): User | undefined; appValid?: (ctx: Context, data: unknown) => unknown;
}): Verdict {
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
