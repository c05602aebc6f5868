import { parseJsonObject, type JsonObject } from '../json.js';
import type { StoredSession } from '../types.js';

// koa-session asks the store to keep a session 10 s longer than its `_expire` (see ContextSession#save)
const KOA_SESSION_STORE_MARGIN = 10_000;

// A session in Redis as one request read (or last wrote) it, to tell at save time what changed. Every configuration reads both formats: 'string', one
// JSON object (as hand-written stores do), and 'hash', one JSON field per top-level key (merge saves). `_expire` is not stored: Redis' TTL is the
// truth (a rolling refresh only sends PEXPIRE).
export interface Snapshot { format: 'string' | 'hash'; text?: string; fields?: Map<string, string> }
export interface ReadSession { value: JsonObject; snapshot: Snapshot }

export function withoutExpire(value: StoredSession): StoredSession {
  if (!('_expire' in value)) return value;
  const { _expire, ...rest } = value;
  return rest;
}

/** `_expire` and undefined values are left out. */
export function encodeFields(value: StoredSession): Map<string, string> {
  const fields = new Map<string, string>();
  for (const [ name, field ] of Object.entries(value)) {
    const json = name === '_expire' ? undefined : JSON.stringify(field);
    if (json !== undefined) fields.set(name, json);
  }
  return fields;
}

export function loadedFields(loaded: Snapshot): Map<string, string> | undefined {
  if (loaded.fields) return loaded.fields;
  const value = loaded.text === undefined ? undefined : parseJsonObject(loaded.text);
  return value && encodeFields(value);
}

export function diffFields(before: Map<string, string>, after: Map<string, string>): { set: [string, string][]; del: string[] } {
  const set: [string, string][] = [];
  for (const [ name, json ] of after) if (before.get(name) !== json) set.push([ name, json ]);
  const del = [ ...before.keys() ].filter(name => !after.has(name));
  return { set, del };
}

// undefined for a missing or corrupt session: not a JSON object, a bad hash field, another Redis type, or not written by koa-session (it always
// stores `_maxAge` or `_session: true`; another app's JSON or a planted value is not a session).
export function readSessionReply(reply: unknown, now = Date.now()): ReadSession | undefined {
  if (!Array.isArray(reply)) return;
  const [ kind, payload, pttl ] = reply as [ unknown, unknown, unknown ];
  let value: JsonObject | undefined;
  let snapshot: Snapshot;
  if (kind === 'string' && typeof payload === 'string') {
    value = parseJsonObject(payload);
    snapshot = { format: 'string', text: payload };
  } else if (kind === 'hash' && Array.isArray(payload)) {
    const fields = new Map<string, string>();
    const members: string[] = [];
    for (let i = 0; i + 1 < payload.length; i += 2) {
      const [ name, json ] = [ String(payload[i]), String(payload[i + 1]) ];
      fields.set(name, json);
      members.push(`${JSON.stringify(name)}:${json}`);
    }
    value = parseJsonObject(`{${members.join(',')}}`);
    // a field that is not one JSON value can still splice into valid JSON ('1,"x":2'): count the keys
    if (value && Object.keys(value).length !== fields.size) return;
    snapshot = { format: 'hash', fields };
  } else return;
  if (!value || (typeof value._maxAge !== 'number' && value._session !== true)) return;
  if (typeof value._maxAge === 'number' && typeof pttl === 'number' && pttl > 0) value._expire = now + pttl - KOA_SESSION_STORE_MARGIN;
  return { value, snapshot };
}
