/**
 * `JSON.parse` makes `"__proto__"` an own key; assigning or merging it (`obj[k] = v`, Reflect.set,
 * a naive deep merge) replaces a prototype. `constructor` and `prototype` are plain data in parsed
 * JSON and are kept, so what an app writes reads back the same.
 */
const UNSAFE_KEY = '__proto__';
// a cheap pre-check: only texts that may hold the unsafe key (also behind \u escapes) pay for the reviver
const MAY_BE_UNSAFE = /__proto__|\\u/;
// thrown by the reviver to stop parsing at the first unsafe key; no Error, so no stack trace to build
const UNSAFE_KEY_FOUND = Symbol('unsafe key');

function rejectUnsafeKeys(this: unknown, key: string, value: unknown): unknown {
  if (key === UNSAFE_KEY) throw UNSAFE_KEY_FOUND;
  return value;
}

export type JsonObject = Record<string, unknown>;

/**
 * Sessions nested deeper are rejected: koa-session hashes every loaded session with JSON.stringify,
 * which is recursive and overflows the stack a few thousand levels down (a 500 on every request).
 */
export const MAX_JSON_DEPTH = 256;
const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const OPEN_BRACKET = 91;
const CLOSE_BRACE = 125;
const CLOSE_BRACKET = 93;

/** True when the JSON text nests objects/arrays deeper than `max` (brackets inside strings do not count). */
export function nestsDeeperThan(text: string, max: number): boolean {
  // `max` levels take at least 2·max bracket characters: shorter texts need no scan
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
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Names of koa-session's Session model: a loaded key with one of these names would replace a method
 * (`toJSON: 1` breaks every save) or call a setter (`maxAge`).
 */
const SESSION_MODEL_KEYS = [
  'toJSON', 'save', 'regenerate', 'manuallyCommit', 'commit', 'maxAge', 'length', 'populated', 'externalKey', 'isNew',
];

/**
 * True for data koa-session may turn into a session: an object made by JSON.parse or a literal
 * (no class instance), without an own `__proto__` key or a key of the Session model.
 */
export function isSessionShaped(value: unknown): value is JsonObject {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  if (Object.hasOwn(value, UNSAFE_KEY)) return false;
  for (const key of SESSION_MODEL_KEYS) {
    if (Object.hasOwn(value, key)) return false;
  }
  return true;
}

/**
 * Parses JSON that must be an object without a `__proto__` key at any depth (escaped spellings
 * included), nested at most MAX_JSON_DEPTH levels. Returns undefined for anything else; never throws.
 */
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
