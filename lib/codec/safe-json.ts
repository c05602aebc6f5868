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

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when `value` has an own `__proto__`, `constructor` or `prototype` key. */
export function hasUnsafeOwnKey(value: object): boolean {
  return Object.hasOwn(value, '__proto__') || Object.hasOwn(value, 'constructor') || Object.hasOwn(value, 'prototype');
}

/**
 * Parses JSON that must be an object without a `__proto__`, `constructor` or `prototype` key at
 * any depth (escaped spellings included). Returns undefined for anything else; never throws.
 */
export function parseJsonObject(text: string): JsonObject | undefined {
  let value: unknown;
  try {
    value = MAY_BE_UNSAFE.test(text) ? JSON.parse(text, rejectUnsafeKeys) : JSON.parse(text);
  } catch {
    return;
  }
  return isPlainObject(value) ? value : undefined;
}
