import { parseJsonObject, type JsonObject } from '../json.js';
import type { StoredSession } from '../types.js';

/**
 * How sessions look in Redis. Two formats, both read by every store configuration:
 * - 'string': the whole session as one JSON object (plain `GET`/`SET`, what hand-written stores use);
 * - 'hash': one hash field per top-level key, each value JSON (merge saves).
 * `_expire` is not stored: Redis' own TTL is the truth (a rolling refresh only sends PEXPIRE),
 * so it is derived from PTTL when a session is read.
 */
export type StoredFormat = 'string' | 'hash';

// koa-session asks the store to keep a session 10 s longer than its `_expire` (see ContextSession#save)
const KOA_SESSION_STORE_MARGIN = 10_000;

/** What one request read from Redis: enough to tell at save time what it changed. */
export interface Snapshot {
  format: StoredFormat;
  /** the whole-object JSON as stored ('string' format) */
  text?: string;
  /** top-level field → JSON ('hash' format, or after this request wrote the session) */
  fields?: Map<string, string>;
}

export interface ReadSession {
  value: JsonObject;
  loaded: Snapshot;
}

/** The value to store: koa-session's session data without `_expire`. */
export function withoutExpire(value: StoredSession): StoredSession {
  if (!('_expire' in value)) return value;
  const { _expire, ...rest } = value;
  return rest;
}

/** Top-level field → JSON of its value; `_expire` and undefined values are left out. */
export function encodeFields(value: StoredSession): Map<string, string> {
  const fields = new Map<string, string>();
  for (const name of Object.keys(value)) {
    if (name === '_expire') continue;
    const json = JSON.stringify(value[name]);
    if (json !== undefined) fields.set(name, json);
  }
  return fields;
}

/** The fields of a loaded session, whichever format it was read in. */
export function loadedFields(loaded: Snapshot): Map<string, string> | undefined {
  if (loaded.fields) return loaded.fields;
  const value = loaded.text === undefined ? undefined : parseJsonObject(loaded.text);
  return value && encodeFields(value);
}

export interface FieldChanges {
  set: [string, string][];
  del: string[];
}

/** The top-level fields that were added or changed (`set`) and removed (`del`). */
export function diffFields(before: Map<string, string>, after: Map<string, string>): FieldChanges {
  const set: [string, string][] = [];
  for (const [ name, json ] of after) {
    if (before.get(name) !== json) set.push([ name, json ]);
  }
  const del = [ ...before.keys() ].filter(name => !after.has(name));
  return { set, del };
}

function parseHash(flat: unknown[]): { value?: JsonObject; fields: Map<string, string> } {
  const fields = new Map<string, string>();
  const members: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = String(flat[i]);
    const json = String(flat[i + 1]);
    fields.set(name, json);
    members.push(`${JSON.stringify(name)}:${json}`);
  }
  const value = parseJsonObject(`{${members.join(',')}}`);
  // a field that is not one JSON value can still splice into valid JSON ('1,"x":2'): count the keys
  if (value && Object.keys(value).length !== fields.size) return { fields };
  return { value, fields };
}

/**
 * A value koa-session wrote: it always stores `_maxAge` (a number) or `_session: true`. Anything
 * else under a session key (another app's JSON, a planted value) is not a session.
 */
function isStoredSession(value: JsonObject): boolean {
  return typeof value._maxAge === 'number' || value._session === true;
}

/**
 * Turns the reply of the GET script into session data, or undefined for a missing or corrupt
 * session (not JSON, not an object, not a session koa-session wrote, a bad hash field, another Redis type).
 */
export function readSessionReply(reply: unknown, now = Date.now()): ReadSession | undefined {
  if (!Array.isArray(reply)) return;
  const [ kind, payload, pttl ] = reply as [ unknown, unknown, unknown ];
  let read: ReadSession | undefined;
  if (kind === 'string' && typeof payload === 'string') {
    const value = parseJsonObject(payload);
    if (value && isStoredSession(value)) read = { value, loaded: { format: 'string', text: payload } };
  } else if (kind === 'hash' && Array.isArray(payload)) {
    const { value, fields } = parseHash(payload);
    if (value && isStoredSession(value)) read = { value, loaded: { format: 'hash', fields } };
  }
  if (read && typeof read.value._maxAge === 'number' && typeof pttl === 'number' && pttl > 0) {
    read.value._expire = now + pttl - KOA_SESSION_STORE_MARGIN;
  }
  return read;
}
