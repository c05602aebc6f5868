const UNSAFE_KEYS = new Set([ '__proto__', 'constructor', 'prototype' ]);
// a cheap pre-check: only texts that may hold an unsafe key (also behind \u escapes) pay for the reviver
const MAY_BE_UNSAFE = /__proto__|constructor|prototype|\\u/;

function dropUnsafeKeys(this: unknown, key: string, value: unknown): unknown {
  return UNSAFE_KEYS.has(key) ? undefined : value;
}

export type JsonObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses JSON that must be an object, dropping `__proto__`, `constructor` and `prototype` keys
 * at every depth. Returns undefined for anything else; never throws.
 */
export function parseJsonObject(text: string): JsonObject | undefined {
  let value: unknown;
  try {
    value = MAY_BE_UNSAFE.test(text) ? JSON.parse(text, dropUnsafeKeys) : JSON.parse(text);
  } catch {
    return;
  }
  return isPlainObject(value) ? value : undefined;
}
