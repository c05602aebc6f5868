import { INDEX_SCRIPTS } from './index-scripts.js';
import { defineScripts, userKeys, type RedisClient, type ScriptCall } from '../redis.js';

/** One session of a user, as `app.sessions.list()` returns it (times in ms since epoch). */
export interface SessionInfo {
  /** the session's reference for this API: NOT its cookie value */ id: string;
  /** the user as the app set it, or the argument of `app.sessions.list()` */ userId: string | number;
  createdAt: number;
  /** when its current user signed in */ signedInAt: number;
  /** the last request that saved or touched it */ lastSeenAt: number;
  /** when it expires unless used again */ expiresAt: number;
  ip: string; userAgent: string;
  /** the session of the request (only from `ctx.sessions.list()`) */ current?: boolean;
}

/** The session a request acts from on its user's behalf: its stamp, and (store sessions) its reference. */
export interface Caller { ref?: string; stamp: number }
type EntryInfo = Pick<SessionInfo, 'createdAt' | 'signedInAt' | 'lastSeenAt' | 'ip' | 'userAgent'>;
/** The scripts' callerRef, callerStamp ('', -1: no caller). */
export const callerArgs = (caller?: Caller) => [ caller?.ref ?? '', caller?.stamp ?? -1 ];

/** An entry is JSON with its numbers as strings (cjson would cut millisecond timestamps). */
export function entryJson(sessionId: string, { createdAt, signedInAt, lastSeenAt, ip, userAgent }: EntryInfo): string {
  return JSON.stringify({ sid: sessionId, createdAt: String(createdAt), signedInAt: String(signedInAt), lastSeenAt: String(lastSeenAt), ip, userAgent });
}

export function parseEntry(json: unknown): { sessionId: string; info: EntryInfo } | undefined {
  try {
    const { sid, createdAt, signedInAt, lastSeenAt, ip, userAgent } = JSON.parse(String(json)) ?? {};
    if (typeof sid !== 'string') return;
    const times = { createdAt: Number(createdAt), signedInAt: Number(signedInAt), lastSeenAt: Number(lastSeenAt) };
    return { sessionId: sid, info: { ...times, ip: String(ip ?? ''), userAgent: String(userAgent ?? '') } };
  } catch { return; }
}
export const sessionIdsOf = (jsons: unknown[]) => jsons.flatMap(json => parseEntry(json)?.sessionId ?? []);

/** The per-user session index in Redis (keys and what they hold: lib/redis.ts userKeys). It knows nothing of requests. */
export class UserSessionIndex {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #scripts: Record<keyof typeof INDEX_SCRIPTS, ScriptCall>;
  constructor(client: RedisClient, prefix: string) {
    this.#client = client;
    this.#prefix = prefix;
    this.#scripts = defineScripts(client, INDEX_SCRIPTS);
  }
  /** Runs a script of index-scripts.ts (its ARGV and reply are described there) on the user's keys. */
  run(script: keyof typeof INDEX_SCRIPTS, user: string, ...args: (string | number)[]): Promise<unknown> {
    const k = userKeys(this.#prefix, user);
    return this.#scripts[script](k.sessions, k.meta, k.stamps, k.dead, k.revocation, ...args.map(String));
  }
  /** `gen`: the user's generation, which a session signed in now is stamped with; `at`: when the last "destroy all" ran. */
  async revocation(user: string, field: 'gen' | 'at'): Promise<number | undefined> {
    const value = await this.#client.hget(userKeys(this.#prefix, user).revocation, field);
    return value === null ? undefined : Number(value);
  }
}
