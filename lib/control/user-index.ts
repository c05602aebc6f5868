import { COMMANDS } from './scripts.js';
import { sessionHandle, userKeys, type UserKeys } from '../redis-keys.js';
import { defineScripts, type RedisClient, type ScriptCall } from '../redis.js';

type CommandName = keyof typeof COMMANDS;

/** One session of a user, as `app.sessions.list()` returns it. */
export interface SessionInfo {
  /** opaque id of the session for this API: NOT the session cookie value */
  id: string;
  /** the user as the app set it (`ctx.session[userKey]`, or the argument of `app.sessions.list()`) */
  userId: string | number;
  /** when the session was created (ms since epoch) */
  createdAt: number;
  /** when its current user was attached to it (sign in) */
  signedInAt: number;
  /** last request that saved or touched it */
  lastSeenAt: number;
  /** when it expires unless used again */
  expiresAt: number;
  ip: string;
  userAgent: string;
  /** true for the session of the request (only from `ctx.sessions.list()`) */
  current?: boolean;
}

/** What the index stores per session; numbers are kept as strings (see scripts.ts). */
interface StoredEntry {
  sid: string;
  createdAt: string;
  signedInAt: string;
  lastSeenAt: string;
  ip: string;
  userAgent: string;
}

export interface IndexedSession {
  handle: string;
  sessionId: string;
  createdAt: number;
  signedInAt: number;
  lastSeenAt: number;
  expiresAt: number;
  ip: string;
  userAgent: string;
}

export interface UpsertInput {
  sessionId: string;
  expiresAt: number;
  createdAt: number;
  signedInAt: number;
  ip: string;
  userAgent: string;
  now: number;
}

/**
 * The session a request acts from on its user's behalf: a store session by its handle (gone once it
 * has a tombstone), a cookie session by its sign-in time (gone once a revocation covers it).
 */
export interface Caller {
  handle?: string;
  signedInAt?: number;
}

function callerArgs(caller: Caller): (string | number)[] {
  return [ caller.handle ?? '', caller.signedInAt ?? -1 ];
}

export interface RevokeAllResult {
  /** the caller was gone: nothing was done */
  gone?: boolean;
  revokedAt: number;
  /** the revocation in force before this one, if any: sessions signed in at or before it were revoked already */
  previousRevokedAt: number | undefined;
  /** the kept handles the index held (live sessions) */
  keptHandles: string[];
  /** the session ids removed from the index */
  sessionIds: string[];
}

/** A tombstone outlives any request that could still write the destroyed session back. */
const TOMBSTONE_MS = 60 * 60 * 1000;
const MAX_USER_AGENT = 256;


function parseEntry(json: unknown): StoredEntry | undefined {
  if (typeof json !== 'string') return;
  try {
    const entry = JSON.parse(json) as Partial<StoredEntry> | null;
    return entry && typeof entry.sid === 'string' ? entry as StoredEntry : undefined;
  } catch {
    return;
  }
}

/**
 * The per-user session index in Redis: for each user a sorted set of session handles scored
 * by expiry (expired entries are pruned by every script, and the keys expire with their last
 * session), a hash of metadata, tombstones of destroyed sessions and the "destroy all" time.
 */
export class UserSessionIndex {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #scripts: Record<CommandName, ScriptCall>;

  constructor(client: RedisClient, prefix: string) {
    this.#client = client;
    this.#prefix = prefix;
    this.#scripts = defineScripts(client, COMMANDS);
  }

  keys(userId: string): UserKeys {
    return userKeys(this.#prefix, userId);
  }

  #call(command: CommandName, ...args: (string | number)[]): Promise<unknown> {
    return this.#scripts[command](...args.map(String));
  }

  /** Indexes a saved session. Returns false when refused, and the session ids evicted by `maxSessions`. */
  async upsert(userId: string, input: UpsertInput, maxSessions = 0): Promise<{ accepted: boolean; evicted: string[] }> {
    const k = this.keys(userId);
    const entry: StoredEntry = {
      sid: input.sessionId,
      createdAt: String(input.createdAt),
      signedInAt: String(input.signedInAt),
      lastSeenAt: String(input.now),
      ip: input.ip,
      userAgent: input.userAgent.slice(0, MAX_USER_AGENT),
    };
    const result = await this.#call('upsert', k.sessions, k.meta, k.dead, k.revoked,
      sessionHandle(input.sessionId), input.expiresAt, JSON.stringify(entry), input.now, input.signedInAt,
      maxSessions, TOMBSTONE_MS) as unknown[];
    return { accepted: Number(result[0]) === 1, evicted: result.slice(1).map(String) };
  }

  /** Records a request on an indexed session that did not save it; false when the session is not indexed. */
  async touch(userId: string, sessionId: string, now: number, ip: string, userAgent: string): Promise<boolean> {
    const k = this.keys(userId);
    return Number(await this.#call('touch', k.sessions, k.meta, sessionHandle(sessionId), now, ip, userAgent.slice(0, MAX_USER_AGENT))) === 1;
  }

  /**
   * Removes a destroyed session (by handle), leaving a tombstone. Returns its session id when it was
   * indexed (and the `caller`, when given, is not gone).
   */
  async remove(userId: string, handle: string, caller: Caller = {}, now = Date.now()): Promise<string | undefined> {
    const k = this.keys(userId);
    const json = await this.#call('remove', k.sessions, k.meta, k.dead, k.revoked, handle, now, TOMBSTONE_MS, ...callerArgs(caller));
    return parseEntry(json)?.sid;
  }

  /** Removes a session its user signed out of (it lives on); false when it was destroyed meanwhile. */
  async signOut(userId: string, handle: string, now = Date.now()): Promise<boolean> {
    const k = this.keys(userId);
    return Number(await this.#call('signOut', k.sessions, k.meta, k.dead, handle, now)) === 1;
  }

  /**
   * Records "destroy all" now and removes all sessions but `keep` (handles). Returns the recorded time,
   * the one recorded before it (if any), the kept handles the index held and the removed session ids.
   */
  async revokeAll(userId: string, keep: string[], revokedTtl: number, caller: Caller = {}, now = Date.now()): Promise<RevokeAllResult> {
    const k = this.keys(userId);
    const result = await this.#call('revokeAll', k.sessions, k.meta, k.dead, k.revoked,
      now, revokedTtl, TOMBSTONE_MS, ...callerArgs(caller), ...keep) as unknown[];
    // the script answers 0 for "none recorded"
    const previousRevokedAt = Number(result[1]) || undefined;
    if (result[0] === 'gone') return { gone: true, revokedAt: Number(result[1]), previousRevokedAt, keptHandles: [], sessionIds: [] };
    const keptCount = Number(result[2]);
    const sessionIds = result.slice(3 + keptCount).map(parseEntry).filter(entry => entry !== undefined).map(entry => entry.sid);
    return { revokedAt: Number(result[0]), previousRevokedAt, keptHandles: result.slice(3, 3 + keptCount).map(String), sessionIds };
  }

  /** True when the index does not hold the session and its user had all sessions destroyed at or after `signedInAt`. */
  async isRevoked(userId: string, sessionId: string, signedInAt: number): Promise<boolean> {
    const k = this.keys(userId);
    return Number(await this.#call('isRevoked', k.sessions, k.revoked, sessionHandle(sessionId), signedInAt)) === 1;
  }

  /** The user's last "destroy all" time, if one is still recorded. */
  async revokedAt(userId: string): Promise<number | undefined> {
    const value = await this.#client.get(this.keys(userId).revoked);
    return value === null ? undefined : Number(value);
  }

  /** The user's live sessions, most recently seen first. */
  async list(userId: string, now = Date.now()): Promise<IndexedSession[]> {
    const k = this.keys(userId);
    const [ fields, scores ] = await this.#call('list', k.sessions, k.meta, k.dead, now) as [ string[], string[] ];
    const expiries = new Map<string, number>();
    for (let i = 0; i < scores.length; i += 2) expiries.set(scores[i], Number(scores[i + 1]));
    const sessions: IndexedSession[] = [];
    for (let i = 0; i < fields.length; i += 2) {
      const entry = parseEntry(fields[i + 1]);
      const expiresAt = expiries.get(fields[i]);
      if (!entry || expiresAt === undefined) continue;
      sessions.push({
        handle: fields[i],
        sessionId: entry.sid,
        createdAt: Number(entry.createdAt),
        signedInAt: Number(entry.signedInAt),
        lastSeenAt: Number(entry.lastSeenAt),
        expiresAt,
        ip: String(entry.ip ?? ''),
        userAgent: String(entry.userAgent ?? ''),
      });
    }
    return sessions.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  }
}
