import { INDEX_SCRIPTS } from './index-scripts.js';
import { defineScripts, userKeys, type RedisClient, type ScriptCall } from '../redis.js';
import { refOf } from '../session-id.js';

/** One session of a user, as `app.sessions.list()` returns it (times in ms since epoch). */
export interface SessionInfo {
  /** the session's reference for this API: NOT its cookie value */
  id: string;
  /** the user as the app set it, or the argument of `app.sessions.list()` */
  userId: string | number;
  createdAt: number;
  /** when its current user signed in */
  signedInAt: number;
  /** the last request that saved or touched it */
  lastSeenAt: number;
  /** when it expires unless used again */
  expiresAt: number;
  ip: string;
  userAgent: string;
  /** the session of the request (only from `ctx.sessions.list()`) */
  current?: boolean;
}

export type IndexedSession = Omit<SessionInfo, 'id' | 'userId' | 'current'> & { ref: string; sessionId: string };

export interface UpsertInput extends Omit<IndexedSession, 'ref' | 'lastSeenAt' | 'expiresAt'> {
  expiresAt: number;
  /** the user's generation the session was signed in at */
  stamp: number;
  now: number;
}

/** The session a request acts from on its user's behalf: its stamp, and (store sessions) its reference. */
export interface Caller {
  ref?: string;
  stamp: number;
}

/** A tombstone outlives any request that could still write the destroyed session back. */
const TOMBSTONE_MS = 60 * 60 * 1000;
const MAX_USER_AGENT = 256;
/** Sessions a "destroy all" removes per script call: short calls, however many sessions a user has. */
const DRAIN_BATCH = 500;

/** An index entry: JSON with its numbers as strings (cjson would cut millisecond timestamps). */
function parseEntry(json: unknown): Omit<IndexedSession, 'ref' | 'expiresAt'> | undefined {
  try {
    const e = JSON.parse(String(json));
    if (typeof e?.sid !== 'string') return;
    return {
      sessionId: e.sid, createdAt: Number(e.createdAt), signedInAt: Number(e.signedInAt), lastSeenAt: Number(e.lastSeenAt),
      ip: String(e.ip ?? ''), userAgent: String(e.userAgent ?? ''),
    };
  } catch {
    return;
  }
}

const sessionIdsOf = (jsons: unknown[]) => jsons.map(parseEntry).filter(entry => entry !== undefined).map(entry => entry.sessionId);

/**
 * The per-user session index in Redis (keys in lib/redis.ts): live sessions by expiry, their metadata
 * and stamps, tombstones of destroyed ones, and the user's generation. It knows nothing of requests.
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

  /** Indexes a saved session: 'revoked', 'over-limit' (with `refuseOverLimit`), or the session ids it evicted. */
  async upsert(user: string, input: UpsertInput, maxSessions: number, refuseOverLimit: boolean): Promise<'revoked' | 'over-limit' | { evicted: string[] }> {
    const entry = JSON.stringify({
      sid: input.sessionId, createdAt: String(input.createdAt), signedInAt: String(input.signedInAt), lastSeenAt: String(input.now),
      ip: input.ip, userAgent: input.userAgent.slice(0, MAX_USER_AGENT),
    });
    const [ status, ...evicted ] = await this.#call('upsert', user, refOf(input.sessionId), input.expiresAt, entry, input.now,
      input.stamp, maxSessions, TOMBSTONE_MS, refuseOverLimit ? 1 : 0) as unknown[];
    if (Number(status) === 0) return 'revoked';
    return Number(status) === -1 ? 'over-limit' : { evicted: evicted.map(String) };
  }

  /** Records a request on an indexed session that did not save it; false when the session is not indexed. */
  async touch(user: string, sessionId: string, now: number, ip: string, userAgent: string): Promise<boolean> {
    return Number(await this.#call('touch', user, refOf(sessionId), now, ip, userAgent.slice(0, MAX_USER_AGENT))) === 1;
  }

  /** Removes a destroyed session, leaving a tombstone; its session id when it was indexed and the caller is not revoked. */
  async remove(user: string, ref: string, caller?: Caller, now = Date.now()): Promise<string | undefined> {
    return parseEntry(await this.#call('remove', user, ref, now, TOMBSTONE_MS, caller?.ref ?? '', caller?.stamp ?? -1))?.sessionId;
  }

  /** Removes a session its user signed out of (it lives on); false when it was destroyed meanwhile. */
  async signOut(user: string, ref: string, now = Date.now()): Promise<boolean> {
    return Number(await this.#call('signOut', user, ref, now)) === 1;
  }

  /** "Destroy all" but `keep`: the generation goes up; the session ids removed are handed to `destroy` a batch at a time. */
  async revokeAll(user: string, keep: string[], caller: Caller | undefined, destroy: (sessionIds: string[]) => Promise<unknown>): Promise<{ gone?: true; gen: number; kept: string[] }> {
    const result = await this.#call('revokeAll', user, Date.now(), DRAIN_BATCH, caller?.ref ?? '', caller?.stamp ?? -1, ...keep) as unknown[];
    if (result[0] === 'gone') return { gone: true, gen: 0, kept: [] };
    const [ gen, keptCount ] = result.map(Number);
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
      if (entry && expiresAt !== undefined) sessions.push({ ref: fields[i], expiresAt, ...entry });
    }
    return sessions.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  }
}
