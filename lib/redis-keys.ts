import { createHash } from 'node:crypto';

/**
 * Every Redis key this plugin writes, in two namespaces under `prefix` that no key of the other can
 * name: sessions at `<prefix><id>` (ids never contain `{`: lib/session-id.ts), session-control keys at
 * `<prefix>{u:<user>}:…`. All keys of one user carry the hash tag `{u:<id>}`, so on Redis Cluster they
 * share a slot and one Lua script can update them together.
 */
export function sessionKey(prefix: string, id: string): string {
  return prefix + id;
}

/** Redis keys of one user's session index. */
export interface UserKeys {
  /** sorted set: session handle -> expiry (ms); ZREMRANGEBYSCORE drops expired entries */
  sessions: string;
  /** hash: session handle -> JSON metadata (session id, created, last seen, ip, user agent) */
  meta: string;
  /** sorted set: handle -> tombstone expiry; a destroyed session's late write may not re-index it */
  dead: string;
  /** string: the user's last "destroy all" time (ms); sessions signed in before it are rejected */
  revoked: string;
}

export function userKeys(prefix: string, userId: string): UserKeys {
  const base = `${prefix}{u:${encodeURIComponent(userId)}}`;
  return {
    sessions: `${base}:sessions`,
    meta: `${base}:meta`,
    dead: `${base}:dead`,
    revoked: `${base}:revoked`,
  };
}

/**
 * The public id of a store session: a hash of its session id. Session lists shown to users
 * (a "your devices" page) carry this handle, never the session id, which is the credential.
 */
export function sessionHandle(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('base64url').slice(0, 22);
}
