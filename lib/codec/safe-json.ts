/** Keys that reach prototypes when code merges or assigns decoded data (`obj[k] = v`, Reflect.set). */
const UNSAFE_KEYS = new Set([ '__proto__', 'constructor', 'prototype' ]);
// a cheap pre-check: only texts that may hold an unsafe key (also behind \u escapes) pay for the reviver
const MAY_BE_UNSAFE = /__proto__|constructor|prototype|\\u/;
// thrown by the reviver to stop parsing at the first unsafe key; no Error, so no stack trace to build
const UNSAFE_KEY_FOUND = Symbol('unsafe key');

function rejectUnsafeKeys(this: unknown, key: string, value: unknown): unknown {
  if (UNSAFE_KEYS.has(key)) throw UNSAFE_KEY_FOUND;
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

/** True when `value` has an own `__proto__`, `constructor` or `prototype` key. */
export function hasUnsafeOwnKey(value: object): boolean {
  return Object.hasOwn(value, '__proto__') || Object.hasOwn(value, 'constructor') || Object.hasOwn(value, 'prototype');
}

/**
 * Parses JSON that must be an object without a `__proto__`, `constructor` or `prototype` key at
 * any depth (escaped spellings included), nested at most MAX_JSON_DEPTH levels. Returns undefined
 * for anything else; never throws.
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
