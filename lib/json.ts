// What the reader refuses, the writer refuses first (refusalOf), so a saved session always reads back. `JSON.parse` makes `"__proto__"` an own key;
// assigning or merging it replaces a prototype, so it is refused at any depth (escaped too). `constructor`, `prototype`: plain data.
export type JsonObject = Record<string, unknown>;

/** Deeper sessions are refused: a recursive JSON.stringify of one overflows the stack (a 500 on every request). */
export const MAX_JSON_DEPTH = 256;
const MAY_BE_UNSAFE = /__proto__|\\u/; // only texts that may hold `__proto__` (also behind \u escapes) pay for the reviver
const UNSAFE_KEY_FOUND = Symbol('unsafe key'); // thrown by the reviver; no Error, so no stack trace to build
// koa-session's Session model: a key with one of these names would replace a method or call a setter
const SESSION_MODEL_KEYS = [ 'toJSON', 'save', 'regenerate', 'manuallyCommit', 'commit', 'maxAge', 'length', 'populated', 'externalKey', 'isNew' ];
const QUOTE = 34, BACKSLASH = 92, OPEN_BRACE = 123, OPEN_BRACKET = 91, CLOSE_BRACE = 125, CLOSE_BRACKET = 93; // char codes

function rejectUnsafeKeys(key: string, value: unknown): unknown {
  if (key === '__proto__') throw UNSAFE_KEY_FOUND;
  return value;
}

/** Brackets inside strings do not count. */
export function nestsDeeperThan(text: string, max: number): boolean {
  if (text.length <= 2 * max) return false; // `max` levels take at least 2·max bracket characters
  let depth = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
    if (depth > max) return true;
  }
  return false;
}

/** Data koa-session may turn into a session: a JSON object (no class instance), no `__proto__` or Session model key. */
export function isSessionShaped(value: unknown): value is JsonObject {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return !Object.hasOwn(value, '__proto__') && !SESSION_MODEL_KEYS.some(key => Object.hasOwn(value, key));
}

/** A JSON object without `__proto__` at any depth, nested at most MAX_JSON_DEPTH levels; undefined otherwise. Never throws. */
export function parseJsonObject(text: string): JsonObject | undefined {
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) return;
  try {
    const value: unknown = MAY_BE_UNSAFE.test(text) ? JSON.parse(text, rejectUnsafeKeys) : JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as JsonObject : undefined;
  } catch {} // not JSON, or a `__proto__` key
}

/** Why the reader would refuse the app data `data` (whose JSON is `text`), naming the key; undefined when it reads back. */
export function refusalOf(data: JsonObject, text: string): string | undefined {
  const reserved = SESSION_MODEL_KEYS.find(key => Object.hasOwn(data, key));
  if (reserved) return `ctx.session.${reserved} is a name of the session's own API`;
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    const deep = Object.keys(data).find(key => nestsDeeperThan(JSON.stringify(data[key]) ?? '', MAX_JSON_DEPTH - 1));
    return `ctx.session.${deep} nests deeper than ${MAX_JSON_DEPTH} levels`;
  }
  if (MAY_BE_UNSAFE.test(text) && !parseJsonObject(text)) return 'the session holds a "__proto__" key';
}
