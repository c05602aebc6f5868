/**
 * Hidden session metadata. It rides in the persisted session (cookie or store value) under
 * `_`-prefixed keys: koa-session's Session copies every loaded key onto the session object, but
 * Session#toJSON skips `_` keys, so the app's data (`ctx.session.toJSON()`) never shows them
 * and koa-session's change detection ignores them. They are put back into what is persisted at
 * save time (see RequestSession#save in lib/request-session.ts, and store.ts).
 */
export const CREATED = '_created';
/** when the current user was attached to the session: what a revocation compares against */
export const AUTH_AT = '_authAt';

export interface SessionMeta {
  [CREATED]: number;
  [AUTH_AT]?: number;
  /** cookie sessions: their reference in lifecycle events (lib/lifecycle.ts) */
  _ref?: string;
}

export type UserId = string;

/** The owner of a session: `data[userKey]` when it is a non-empty string or a finite number. */
export function userOf(data: unknown, userKey: string): UserId | undefined {
  if (typeof data !== 'object' || data === null) return;
  const value = (data as Record<string, unknown>)[userKey];
  if (typeof value === 'string' && value) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return;
}

/** The user as the app set it (`ctx.session[userKey]`: a string or a number), for event payloads; undefined when `userOf` finds none. */
export function appUserOf(data: unknown, userKey: string): string | number | undefined {
  return userOf(data, userKey) === undefined ? undefined : (data as Record<string, string | number>)[userKey];
}

export function numberField(data: unknown, key: string): number | undefined {
  const value = (data as Record<string, unknown> | null | undefined)?.[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * The metadata to persist with a session that is being saved: its creation time (now for a new or
 * replaced session) and the sign-in time of its user (`authAt`; none for a session without a user).
 */
export function stampMeta(session: Record<string, unknown>, authAt: number | undefined, now: number): SessionMeta {
  const created = numberField(session, CREATED) ?? now;
  session[CREATED] = created;
  const meta: SessionMeta = { [CREATED]: created };
  if (authAt === undefined) {
    delete session[AUTH_AT];
    return meta;
  }
  session[AUTH_AT] = authAt;
  meta[AUTH_AT] = authAt;
  return meta;
}

/** Signed in at or before a recorded "destroy all" (`revokedAt`; none recorded: never). The index's scripts apply the same rule. */
export function signedInBefore(signedInAt: number, revokedAt: number | undefined): boolean {
  return revokedAt !== undefined && signedInAt <= revokedAt;
}

/** The user a session was loaded with, when it signed in, and (store sessions) the id it was loaded under. */
export interface LoadedSignIn {
  user: UserId;
  at: number;
  id?: string;
}

/** The user a loaded session carries and when it signed in (unknown, e.g. a legacy cookie: 0, before any revocation). */
export function signInOf(data: unknown, userKey: string, id?: string): LoadedSignIn | undefined {
  const user = userOf(data, userKey);
  return user === undefined ? undefined : { user, at: numberField(data, AUTH_AT) ?? 0, id };
}

/**
 * Folds `absoluteMaxAge` into koa-session's own `_expire` check: a loaded session created longer
 * ago than that gets `_expire` set to its absolute deadline, so koa-session rejects it and emits
 * `session:expired` as for any expired session. Sessions without a creation time (written before
 * this plugin) are left alone; they get one on their next save.
 */
export function applyAbsoluteMaxAge(data: unknown, absoluteMaxAge: number | undefined, now = Date.now()): void {
  if (!absoluteMaxAge || typeof data !== 'object' || data === null) return;
  const created = numberField(data, CREATED);
  if (created === undefined) return;
  const deadline = created + absoluteMaxAge;
  if (deadline <= now) (data as Record<string, unknown>)._expire = deadline;
}
