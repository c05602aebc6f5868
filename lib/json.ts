/**
 * The JSON rules of a session, read and write alike: what the reader refuses, the writer refuses
 * first (refusalOf), so a session the plugin saved always reads back.
 *
 * `JSON.parse` makes `"__proto__"` an own key; assigning or merging it replaces a prototype, so it is
 * refused at any depth (escaped spellings too). `constructor` and `prototype` are plain data.
 */
const UNSAFE_KEY = '__proto__';
// only texts that may hold the unsafe key (also behind \u escapes) pay for the reviver
const MAY_BE_UNSAFE = /__proto__|\\u/;
// thrown by the reviver at the first unsafe key; no Error, so no stack trace to build
const UNSAFE_KEY_FOUND = Symbol('unsafe key');

function rejectUnsafeKeys(this: unknown, key: string, value: unknown): unknown {
  if (key === UNSAFE_KEY) throw UNSAFE_KEY_FOUND;
  return value;
}

export type JsonObject = Record<string, unknown>;

/** Deeper sessions are refused: a recursive JSON.stringify of one overflows the stack (a 500 on every request). */
export const MAX_JSON_DEPTH = 256;
const QUOTE = 34;
const BACKSLASH = 92;
const OPEN = new Set([ 123, 91 ]);
const CLOSE = new Set([ 125, 93 ]);

/** True when the JSON text nests objects/arrays deeper than `max` (brackets inside strings do not count). */
export function nestsDeeperThan(text: string, max: number): boolean {
  // `max` levels take at least 2·max bracket characters
  if (text.length <= 2 * max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (OPEN.has(c)) {
      if (++depth > max) return true;
    } else if (CLOSE.has(c)) {
      depth--;
    }
  }
  return false;
}

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Names of koa-session's Session model: a key with one of these names would replace a method or call a setter. */
const SESSION_MODEL_KEYS = [
  'toJSON', 'save', 'regenerate', 'manuallyCommit', 'commit', 'maxAge', 'length', 'populated', 'externalKey', 'isNew',
];

/** Data koa-session may turn into a session: a JSON object (no class instance), no `__proto__` or Session model key. */
export function isSessionShaped(value: unknown): value is JsonObject {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return !Object.hasOwn(value, UNSAFE_KEY) && !SESSION_MODEL_KEYS.some(key => Object.hasOwn(value, key));
}

/** A JSON object without `__proto__` at any depth, nested at most MAX_JSON_DEPTH levels; undefined otherwise. Never throws. */
export function parseJsonObject(text: string): JsonObject | undefined {
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) return;
  let value: unknown;
  try {
    value = MAY_BE_UNSAFE.test(text) ? JSON.parse(text, rejectUnsafeKeys) : JSON.parse(text);
  } catch {
    return;
  }
  return isPlainObject(value) ? value : undefined;
}

/** Why the reader would refuse the app data `data` (whose JSON is `text`), naming the key; undefined when it reads back. */
export function refusalOf(data: JsonObject, text: string): string | undefined {
  const reserved = SESSION_MODEL_KEYS.find(key => Object.hasOwn(data, key));
  if (reserved) return `ctx.session.${reserved} is a name of the session's own API`;
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    const deep = Object.keys(data).find(key => nestsDeeperThan(JSON.stringify(data[key]) ?? '', MAX_JSON_DEPTH - 1));
    return `ctx.session.${deep} nests deeper than ${MAX_JSON_DEPTH} levels`;
  }
  if (MAY_BE_UNSAFE.test(text) && !parseJsonObject(text)) return `the session holds a "${UNSAFE_KEY}" key`;
}
