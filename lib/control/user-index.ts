import { INDEX_SCRIPTS } from './index-scripts.js';
import { defineScripts, userKeys, type RedisClient, type ScriptCall } from '../redis.js';
import { refOf } from '../session-id.js';

/** One session of a user, as `app.sessions.list()` returns it. */
export interface SessionInfo {
  /** opaque id of the session for this API (its reference): NOT the session cookie value */
  id: string;
  /** the user as the app set it (`ctx.session[userKey]`, or the argument of `app.sessions.list()`) */
  userId: string | number;
  /** when the session was created (ms since epoch) */
  createdAt: number;
  /** when its current user signed in */
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

/** What the index stores per session; numbers are kept as strings (see index-scripts.ts). */
interface StoredEntry {
  sid: string;
  createdAt: string;
  signedInAt: string;
  lastSeenAt: string;
  ip: string;
  userAgent: string;
}

export interface IndexedSession extends Omit<SessionInfo, 'id' | 'userId' | 'current'> {
  ref: string;
  sessionId: string;
}

export interface UpsertInput {
  sessionId: string;
  expiresAt: number;
  createdAt: number;
  signedInAt: number;
  /** the user's generation the session was signed in at */
  stamp: number;
  ip: string;
  userAgent: string;
  now: number;
}

/** The session a request acts from on its user's behalf: its stamp, and (store sessions) its reference. */
export interface Caller {
  ref?: string;
  stamp: number;
}

export interface RevokeAllResult {
  /** the caller was revoked meanwhile: nothing was done */
  gone?: true;
  /** the user's new generation: sessions stamped before it are revoked */
  gen: number;
  /** the kept references the index held */
  kept: string[];
}

/** A tombstone outlives any request that could still write the destroyed session back. */
const TOMBSTONE_MS = 60 * 60 * 1000;
const MAX_USER_AGENT = 256;
/** Sessions a "destroy all" removes per script call: short calls, however many sessions a user has. */
const DRAIN_BATCH = 500;

function parseEntry(json: unknown): StoredEntry | undefined {
  if (typeof json !== 'string') return;
  try {
    const entry = JSON.parse(json) as Partial<StoredEntry> | null;
    return entry && typeof entry.sid === 'string' ? entry as StoredEntry : undefined;
  } catch {
    return;
  }
}

function sessionIdsOf(jsons: unknown[]): string[] {
  return jsons.map(parseEntry).filter(entry => entry !== undefined).map(entry => entry.sid);
}

/**
 * The per-user session index in Redis (keys in lib/redis.ts): the live sessions by expiry, their
 * metadata and stamps, tombstones of destroyed ones, and the user's generation. It knows nothing of
 * requests: callers hand it the references, stamps and times.
 */
export class UserSessionIndex {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #scripts: Record<keyof typeof INDEX_SCRIPTS, ScriptCall>;

  constructor(client: RedisClient, prefix: string) {
    this.#client = client;
    this.#prefix = prefix;
    this.#scripts = defineScripts(client, INDEX_SCRIPTS);
  }

  #call(command: keyof typeof INDEX_SCRIPTS, user: string, ...args: (string | number)[]): Promise<unknown> {
    const k = userKeys(this.#prefix, user);
    return this.#scripts[command](k.sessions, k.meta, k.stamps, k.dead, k.revocation, ...args.map(String));
  }

  /** Indexes a saved session: 'revoked', 'over-limit' (refused by `refuseOverLimit`), or accepted with the session ids it evicted. */
  async upsert(user: string, input: UpsertInput, maxSessions: number, refuseOverLimit: boolean): Promise<'revoked' | 'over-limit' | { evicted: string[] }> {
    const entry: StoredEntry = {
      sid: input.sessionId, createdAt: String(input.createdAt), signedInAt: String(input.signedInAt),
      lastSeenAt: String(input.now), ip: input.ip, userAgent: input.userAgent.slice(0, MAX_USER_AGENT),
    };
    const result = await this.#call('upsert', user, refOf(input.sessionId), input.expiresAt, JSON.stringify(entry), input.now,
      input.stamp, maxSessions, TOMBSTONE_MS, refuseOverLimit ? 1 : 0) as unknown[];
    const status = Number(result[0]);
    if (status === 0) return 'revoked';
    if (status === -1) return 'over-limit';
    return { evicted: result.slice(1).map(String) };
  }

  /** Records a request on an indexed session that did not save it; false when the session is not indexed. */
  async touch(user: string, sessionId: string, now: number, ip: string, userAgent: string): Promise<boolean> {
    return Number(await this.#call('touch', user, refOf(sessionId), now, ip, userAgent.slice(0, MAX_USER_AGENT))) === 1;
  }

  /** Removes a destroyed session (by reference), leaving a tombstone; its session id when it was indexed and the caller is not revoked. */
  async remove(user: string, ref: string, caller?: Caller, now = Date.now()): Promise<string | undefined> {
    return parseEntry(await this.#call('remove', user, ref, now, TOMBSTONE_MS, caller?.ref ?? '', caller?.stamp ?? -1))?.sid;
  }

  /** Removes a session its user signed out of (it lives on); false when it was destroyed meanwhile. */
  async signOut(user: string, ref: string, now = Date.now()): Promise<boolean> {
    return Number(await this.#call('signOut', user, ref, now)) === 1;
  }

  /**
   * "Destroy all" but `keep` (references): the user's generation goes up, and the sessions it removes
   * from the index are handed to `destroy` a batch at a time (their store entries must go too).
   */
  async revokeAll(user: string, keep: string[], caller: Caller | undefined, destroy: (sessionIds: string[]) => Promise<unknown>): Promise<RevokeAllResult> {
    const result = await this.#call('revokeAll', user, Date.now(), DRAIN_BATCH, caller?.ref ?? '', caller?.stamp ?? -1, ...keep) as unknown[];
    if (result[0] === 'gone') return { gone: true, gen: 0, kept: [] };
    const gen = Number(result[0]);
    const keptCount = Number(result[1]);
    let removed = result.slice(2 + keptCount);
    await destroy(sessionIdsOf(removed));
    while (removed.length === DRAIN_BATCH) {
      removed = await this.#call('drain', user, gen, DRAIN_BATCH) as unknown[];
      await destroy(sessionIdsOf(removed));
    }
    return { gen, kept: result.slice(2, 2 + keptCount).map(String) };
  }

  /** Whether a session (by reference and stamp) is revoked: the rule of index-scripts.ts. */
  async isRevoked(user: string, ref: string, stamp: number): Promise<boolean> {
    return Number(await this.#call('isRevoked', user, ref, stamp)) === 1;
  }

  /** The user's generation: a session signed in now is stamped with it. */
  async generation(user: string): Promise<number> {
    return Number(await this.#client.hget(userKeys(this.#prefix, user).revocation, 'gen') ?? 0);
  }

  /** When the user's last "destroy all" ran (information only: revocation compares generations). */
  async revokedAt(user: string): Promise<number | undefined> {
    const at = await this.#client.hget(userKeys(this.#prefix, user).revocation, 'at');
    return at === null ? undefined : Number(at);
  }

  /** The user's live sessions, most recently seen first. */
  async list(user: string, now = Date.now()): Promise<IndexedSession[]> {
    const [ fields, scores ] = await this.#call('list', user, now) as [ string[], string[] ];
    const expiries = new Map<string, number>();
    for (let i = 0; i < scores.length; i += 2) expiries.set(scores[i], Number(scores[i + 1]));
    const sessions: IndexedSession[] = [];
    for (let i = 0; i < fields.length; i += 2) {
      const entry = parseEntry(fields[i + 1]);
      const expiresAt = expiries.get(fields[i]);
      if (!entry || expiresAt === undefined) continue;
      sessions.push({
        ref: fields[i], sessionId: entry.sid, createdAt: Number(entry.createdAt), signedInAt: Number(entry.signedInAt),
        lastSeenAt: Number(entry.lastSeenAt), expiresAt, ip: String(entry.ip ?? ''), userAgent: String(entry.userAgent ?? ''),
      });
    }
    return sessions.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  }
}
