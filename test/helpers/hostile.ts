import { createHmac } from 'node:crypto';

/**
 * A seeded generator of hostile session cookies, shared by the hardening tests and
 * `npm run stress` (which transpiles this file, so it imports node builtins only: whatever seals
 * cookies comes in through `CookieSources`).
 *
 * Each case says which session event the plugin must emit for it; every case must end in a
 * 2xx response with a fresh, empty session.
 */

export const DEFAULT_HOSTILE_SEED = 0x5eed8;

/** HOSTILE_SEED from the environment (decimal or 0x hex), else the default. */
export function hostileSeed(env: Record<string, string | undefined> = process.env): number {
  const text = env.HOSTILE_SEED?.trim();
  if (!text) return DEFAULT_HOSTILE_SEED;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed)) throw new Error(`HOSTILE_SEED must be an integer, got ${JSON.stringify(text)}`);
  return seed >>> 0;
}

/** mulberry32: a small, fast PRNG; the same seed gives the same cases on every machine. */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** integer in [min, max] */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.int(0, 255);
    return out;
  }

  /** `length` characters a client can put in a Cookie header (latin1, no CR/LF/NUL), without `;`. */
  headerText(length: number): string {
    let text = '';
    while (text.length < length) {
      const code = this.int(0x09, 0xff);
      if (code === 0x3b || (code > 0x09 && code < 0x20) || code === 0x7f) continue;
      // a leading or trailing blank would be trimmed away by the HTTP parser
      if ((text.length === 0 || text.length === length - 1) && (code === 0x20 || code === 0x09)) continue;
      text += String.fromCharCode(code);
    }
    return text;
  }
}

/** The session event a case must cause: exactly one of it, and none of the others. */
export type ExpectedEvent = 'invalid' | 'expired' | 'missed';

export interface HostileCase {
  index: number;
  /** case family, for the summary */
  kind: string;
  /** a short description (the cookie itself may be 14 KB) */
  label: string;
  /** the whole Cookie header to send */
  cookieHeader: string;
  expect: ExpectedEvent;
}

export interface CookieSources {
  cookieName: string;
  /** the app's keys, newest first (egg's `config.keys`): legacy @eggjs/session cookies are signed with them */
  appKeys: string[];
  /** seals a plaintext with the app's current key (the plugin's own codec): only the JSON is hostile */
  seal(plaintext: string): string;
  /** seals with `key` (a key the app does not list, or one it does) for the cookie `name` (default: the session cookie) */
  sealWithKey(plaintext: string, key: string, name?: string): string;
  /** genuine sealed cookies the app issued, to truncate and bit-flip */
  genuine: string[];
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Node's default limit is 16 KiB for all request headers: hostile cookies stay below it. */
export const MAX_COOKIE_CHARS = 14_000;
const HUGE_MIN = 10 * 1024;

/** egg's keygrip signature (HMAC-SHA256, URL-safe base64 without padding) of `name=value`. */
export function eggSignature(raw: string, key: string): string {
  return createHmac('sha256', key).update(raw).digest('base64').replace(/\/|\+|=/g, c => ({ '/': '_', '+': '-', '=': '' })[c]!);
}

function sessionJson(random: Random): string {
  return JSON.stringify({ userId: `u-${random.int(1, 1e6)}`, role: random.pick([ 'admin', 'root', 'user' ]), _expire: Date.now() + 3600_000, _maxAge: 3600_000 });
}

/** `{"a":{"a":...1...}}` or `{"a":[[[...]]]}`, nested `depth` levels. */
export function nestedJson(depth: number, shape: 'objects' | 'arrays'): string {
  if (shape === 'arrays') return `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** The deepest nesting whose sealed cookie fits MAX_COOKIE_CHARS (sealed ≈ 3 + 4/3·(28 + text)). */
function maxSealedDepth(shape: 'objects' | 'arrays'): number {
  const plaintextBudget = Math.floor((MAX_COOKIE_CHARS - 3) * 3 / 4) - 28 - 8;
  return Math.floor(plaintextBudget / (shape === 'arrays' ? 2 : 6));
}

const PROTO_PAYLOADS = [
  '{"__proto__":{"polluted":"yes"},"userId":"u"}',
  '{"toJSON":1,"userId":"u"}',
  '{"save":"x","regenerate":1}',
  '{"\\u005f_proto__":{"polluted":"yes"}}',
  '{"__pro\\u0074o__":{"isAdmin":true}}',
  '{"maxAge":"forever","isNew":false}',
  '{"user":{"prefs":{"__proto__":{"polluted":"yes"}}}}',
  '{"list":[1,{"__proto__":{"polluted":"yes"}}]}',
  '{"a":{"b":{"\\u005f\\u005fproto\\u005f\\u005f":{"polluted":"yes"}}}}',
  '{"toString":"x","valueOf":1,"hasOwnProperty":null,"__proto__":null}',
  '{"__proto__":[]}',
  '{"_expire":9e15,"__proto__":{"_expire":1}}',
];

const NON_OBJECTS = [ '42', '-0', '1e999', '"a string"', 'null', 'true', 'false', '[]', '[{"userId":"u"}]', '', ' ', '{', '{"a":1', '{a:1}', '{"a":1}}', 'undefined', 'NaN', '\u0000', '\ufeff{"a":1}x' ];

type Family = (random: Random, sources: CookieSources) => { label: string; value: string; sig?: string; expect?: ExpectedEvent };

function body(value: string): Buffer {
  return Buffer.from(value.slice(3), 'base64url');
}

const FAMILIES: Record<string, Family> = {
  'random bytes': random => {
    const length = random.int(1, 400);
    return { label: `${length} random header bytes`, value: random.headerText(length) };
  },
  'random v2. body': random => {
    const bytes = random.int(0, 300);
    return { label: `v2. + ${bytes} random bytes`, value: `v2.${random.bytes(bytes).toString('base64url')}` };
  },
  'random base64url': random => {
    const length = random.int(1, 300);
    let text = '';
    for (let i = 0; i < length; i++) text += random.pick([ ...BASE64URL ]);
    return { label: `${length} random base64url chars`, value: random.pick([ '', 'v2.', 'v2.', 'v0.', 'V1.' ]) + text };
  },
  empty: () => ({ label: 'empty value', value: '' }),
  truncated: (random, sources) => {
    const genuine = random.pick(sources.genuine);
    const length = random.int(1, genuine.length - 1);
    return { label: `genuine cut to ${length}/${genuine.length} chars`, value: genuine.slice(0, length) };
  },
  'bit-flipped': (random, sources) => {
    const bytes = body(random.pick(sources.genuine));
    const flips = random.int(1, 3);
    for (let i = 0; i < flips; i++) bytes[random.int(0, bytes.length - 1)] ^= 1 << random.int(0, 7);
    return { label: `genuine with ${flips} flipped bit(s)`, value: `v2.${bytes.toString('base64url')}` };
  },
  'spliced genuine': (random, sources) => {
    // the IV of one genuine cookie with the ciphertext and tag of another
    const a = body(random.pick(sources.genuine));
    const b = body(random.pick(sources.genuine));
    const mixed = Buffer.concat([ a.subarray(0, 12), b.subarray(12) ]);
    if (mixed.equals(b)) mixed[0] ^= 0x80;
    return { label: 'IV of one genuine cookie, body of another', value: `v2.${mixed.toString('base64url')}` };
  },
  'junk in genuine': (random, sources) => {
    const genuine = random.pick(sources.genuine);
    // inside the body: a character appended at the end could be trimmed off as trailing blank
    const at = random.int(3, genuine.length - 1);
    const junk = random.pick([ '!', '%', '%00', '.', '=', '==', ' ', '+', '/', '"', '\\', 'é' ]);
    return { label: `genuine with ${JSON.stringify(junk)} at ${at}`, value: genuine.slice(0, at) + junk + genuine.slice(at) };
  },
  'wrong key': (random, sources) => {
    const key = `stranger-${random.int(0, 1e9)}`;
    return { label: `sealed with unknown key ${key}`, value: sources.sealWithKey(sessionJson(random), key) };
  },
  huge: (random, sources) => {
    const length = random.int(HUGE_MIN, MAX_COOKIE_CHARS);
    const shape = random.pick([ 'v2. random', 'genuine + junk', 'repeated char', 'sealed wrong key', 'sealed array' ]);
    let value: string;
    if (shape === 'v2. random') value = `v2.${random.bytes(Math.floor((length - 3) * 3 / 4)).toString('base64url')}`;
    else if (shape === 'genuine + junk') value = random.pick(sources.genuine).padEnd(length, random.pick([ 'A', '_', 'x' ]));
    else if (shape === 'repeated char') value = random.pick([ 'x', '%', '=', 'v', '{' ]).repeat(length);
    else if (shape === 'sealed wrong key') value = sources.sealWithKey(JSON.stringify({ pad: 'p'.repeat(length * 0.7) }), 'stranger');
    else value = sources.seal(JSON.stringify(Array.from({ length: Math.floor(length * 0.7 / 4) }, (_, i) => i % 100)));
    return { label: `${value.length} chars, ${shape}`, value };
  },
  'deeply nested': (random, sources) => {
    const shape = random.pick([ 'objects', 'arrays' ] as const);
    const depth = random.int(Math.floor(maxSealedDepth(shape) / 2), maxSealedDepth(shape));
    return { label: `sealed ${shape} nested ${depth} deep`, value: sources.seal(nestedJson(depth, shape)) };
  },
  'prototype keys': (random, sources) => {
    const json = random.pick(PROTO_PAYLOADS);
    return { label: `sealed ${json.slice(0, 60)}`, value: sources.seal(json) };
  },
  // a genuine sealed value of another cookie under the same keys (another app, a second session cookie)
  'cross-cookie replay': (random, sources) => {
    const name = random.pick([ 'ADMIN_SESS', `${sources.cookieName}.1`, `${sources.cookieName}.sig`, sources.cookieName.toLowerCase(), 'csrfToken' ]);
    const json = JSON.stringify({ userId: 'admin', role: 'admin' });
    return { label: `sealed for cookie ${name}`, value: sources.sealWithKey(json, sources.appKeys[0], name) };
  },
  'non-object JSON': (random, sources) => {
    const json = random.pick(NON_OBJECTS);
    return { label: `sealed ${JSON.stringify(json)}`, value: sources.seal(json) };
  },
  expired: (random, sources) => {
    const expire = Date.now() - random.int(1, 3650) * 24 * 3600_000;
    const json = JSON.stringify({ userId: 'u-expired', _expire: expire, _maxAge: 86_400_000 });
    return { label: `sealed, _expire ${new Date(expire).toISOString()}`, value: sources.seal(json), expect: 'expired' };
  },
  'legacy junk': (random, sources) => {
    const key = sources.appKeys[0];
    const name = sources.cookieName;
    const shape = random.pick([ 'unsigned', 'bad sig', 'wrong-key sig', 'signed non-object', 'signed __proto__', 'signed expired', 'signed deep', 'random sig' ]);
    const b64 = (json: string) => Buffer.from(json).toString('base64');
    let value: string;
    let sig: string | undefined;
    if (shape === 'unsigned') value = b64(sessionJson(random));
    else if (shape === 'bad sig') { value = b64(sessionJson(random)); sig = eggSignature(`${name}=${b64('{"other":1}')}`, key); }
    else if (shape === 'wrong-key sig') { value = b64(sessionJson(random)); sig = eggSignature(`${name}=${value}`, 'stranger'); }
    else if (shape === 'random sig') { value = b64(sessionJson(random)); sig = random.bytes(32).toString('base64url'); }
    else {
      const json = shape === 'signed non-object' ? random.pick(NON_OBJECTS.filter(text => text !== ''))
        : shape === 'signed __proto__' ? random.pick(PROTO_PAYLOADS)
          : shape === 'signed expired' ? JSON.stringify({ userId: 'u-old', _expire: Date.now() - 60_000, _maxAge: 86_400_000 })
            : nestedJson(random.int(1500, 3000), 'arrays');
      value = b64(json);
      sig = eggSignature(`${name}=${value}`, random.pick(sources.appKeys));
    }
    // a genuine legacy cookie past its _expire is reported as koa-session reports any expired session
    return { label: `legacy base64, ${shape}`, value, sig, expect: shape === 'signed expired' ? 'expired' : undefined };
  },
};

/** How often each family comes up (relative). */
const WEIGHTS: Record<keyof typeof FAMILIES, number> = {
  'random bytes': 12, 'random v2. body': 6, 'random base64url': 6, empty: 1, truncated: 10, 'bit-flipped': 12,
  'spliced genuine': 3, 'junk in genuine': 5, 'wrong key': 8, huge: 6, 'deeply nested': 4, 'prototype keys': 8,
  'non-object JSON': 7, expired: 5, 'legacy junk': 8, 'cross-cookie replay': 5,
};

function weightedFamily(random: Random): string {
  const total = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
  let roll = random.next() * total;
  for (const [ name, weight ] of Object.entries(WEIGHTS)) {
    roll -= weight;
    if (roll < 0) return name;
  }
  return 'random bytes';
}

/**
 * `count` hostile cookies for a cookie-store app. The first cases go through every family once,
 * so even a small run covers them all.
 */
export function* hostileCookieCases(seed: number, count: number, sources: CookieSources): Generator<HostileCase> {
  if (sources.genuine.length === 0) throw new Error('hostileCookieCases needs genuine cookies to mutate');
  const random = new Random(seed);
  const families = Object.keys(FAMILIES);
  for (let index = 0; index < count; index++) {
    const kind = index < families.length ? families[index] : weightedFamily(random);
    const made = FAMILIES[kind](random, sources);
    let cookieHeader = `${sources.cookieName}=${made.value}`;
    if (made.sig !== undefined) cookieHeader += `; ${sources.cookieName}.sig=${made.sig}`;
    // now and then the hostile cookie comes second, after unrelated cookies
    if (random.next() < 0.1) cookieHeader = `theme=dark; _ga=GA1.2.${random.int(0, 1e9)}; ${cookieHeader}`;
    yield { index, kind, label: made.label, cookieHeader, expect: made.expect ?? 'invalid' };
  }
}

/** A UUID v4 (the shape of koa-session's ids) from the seeded generator. */
function uuidFrom(random: Random): string {
  const hex = random.bytes(16);
  hex[6] = (hex[6] & 0x0f) | 0x40;
  hex[8] = (hex[8] & 0x3f) | 0x80;
  const h = hex.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** One hostile case for a Redis-store app: an id to send, and what to put under it first. */
export interface HostileIdCase {
  index: number;
  kind: string;
  label: string;
  /** the session id sent as the cookie value */
  id: string;
  /** raw value to SET under the id's Redis key before the request (corrupt data), if any */
  stored?: string;
  /** hash fields to HSET under the key before the request, if any */
  storedHash?: Record<string, string>;
  expect: ExpectedEvent;
}

export interface IdSources {
  /** ids of sessions the app created and then destroyed */
  destroyed: string[];
  /** users with session-control keys (`{u:<user>}:sessions|meta|dead|revoked`) under the prefix */
  users?: string[];
}

const INDEX_KEY_KINDS = [ 'sessions', 'meta', 'dead', 'revoked' ];

const STORED_VALUES = [
  'not json', '{', '[]', '[1,2]', '42', '"text"', 'null', 'true', '',
  ...PROTO_PAYLOADS,
];

type IdFamily = (random: Random, sources: IdSources, fresh: () => string) => Omit<HostileIdCase, 'index' | 'kind'>;

const ID_FAMILIES: Record<string, IdFamily> = {
  destroyed: (random, sources) => ({ label: 'destroyed session id', id: random.pick(sources.destroyed), expect: 'missed' }),
  unknown: (_random, _sources, fresh) => ({ label: 'id never issued', id: fresh(), expect: 'missed' }),
  // ids that are not the shape genid makes never reach the store: session:invalid
  'random bytes': random => {
    const length = random.int(1, 300);
    return { label: `${length} random header bytes`, id: random.headerText(length), expect: 'invalid' };
  },
  'glob and key syntax': random => {
    const id = random.pick([ '*', '?', '[a-z]*', '\\*', '{tag}*', 'sess:*', '..', '../../etc', '%00', '%0d%0aSET x 1', '\t*\t', 'a b c' ]);
    return { label: `id ${JSON.stringify(id)}`, id, expect: 'invalid' };
  },
  'other keys under the prefix': (random, sources) => {
    const user = random.pick(sources.users?.length ? sources.users : [ 'u-0' ]);
    const id = random.pick([
      `{u:${user}}:${random.pick(INDEX_KEY_KINDS)}`, `{u:${user}}`, `u:${user}`, `x{u:${user}}:meta`,
      `${uuidFrom(random)}{u:${user}}`, `${uuidFrom(random)}:meta`, `${uuidFrom(random).toUpperCase()}`, ` ${uuidFrom(random)}`,
    ]);
    return { label: `id ${JSON.stringify(id)}`, id, expect: 'invalid' };
  },
  huge: random => {
    const length = random.int(HUGE_MIN, MAX_COOKIE_CHARS);
    return { label: `${length}-char id`, id: random.pick([ 'A', 'z', '-' ]).repeat(length - 8) + random.int(1e7, 9e7), expect: 'invalid' };
  },
  'corrupt value': (random, _sources, fresh) => {
    const stored = random.pick(STORED_VALUES);
    return { label: `stored ${JSON.stringify(stored).slice(0, 60)}`, id: fresh(), stored, expect: 'missed' };
  },
  'corrupt hash': (random, _sources, fresh) => {
    const entries = random.pick([
      [ [ 'a', 'not json' ] ], [ [ 'a', '1,"b":2' ] ], [ [ 'a', '1' ], [ 'b', '{' ] ],
      [ [ '__proto__', '{"polluted":1}' ] ], [ [ 'constructor', '{"prototype":{"polluted":1}}' ] ], [ [ 'prototype', '{}' ] ],
    ]);
    // built key by key: a `__proto__` key in an object literal would set the prototype instead
    const storedHash: Record<string, string> = Object.create(null);
    for (const [ name, json ] of entries) storedHash[name] = json;
    return { label: `stored hash ${JSON.stringify(entries)}`, id: fresh(), storedHash, expect: 'missed' };
  },
  'deeply nested value': (random, _sources, fresh) => {
    const depth = random.int(3000, 20_000);
    return { label: `stored value nested ${depth} deep`, id: fresh(), stored: nestedJson(depth, random.pick([ 'objects', 'arrays' ])), expect: 'missed' };
  },
  'expired value': (random, _sources, fresh) => {
    const expire = Date.now() - random.int(1, 10_000_000);
    return { label: 'stored value with a past _expire', id: fresh(), stored: JSON.stringify({ userId: 'u', _expire: expire, _session: true }), expect: 'expired' };
  },
};

const ID_WEIGHTS: Record<keyof typeof ID_FAMILIES, number> = {
  destroyed: 6, unknown: 3, 'random bytes': 4, 'glob and key syntax': 2, 'other keys under the prefix': 3, huge: 1, 'corrupt value': 6, 'corrupt hash': 2,
  'deeply nested value': 1, 'expired value': 3,
};

/** `count` hostile session ids for a Redis-store app; the first cases cover every family. */
export function* hostileIdCases(seed: number, count: number, sources: IdSources): Generator<HostileIdCase> {
  if (sources.destroyed.length === 0) throw new Error('hostileIdCases needs destroyed session ids');
  const random = new Random(seed ^ 0x1d1d1d1d);
  const families = Object.keys(ID_FAMILIES);
  const total = Object.values(ID_WEIGHTS).reduce((a, b) => a + b, 0);
  // shaped like the ids the app's genid makes (UUID v4), so they reach the store
  const fresh = () => uuidFrom(random);
  for (let index = 0; index < count; index++) {
    let kind = families[index];
    if (index >= families.length) {
      let roll = random.next() * total;
      kind = families.find(name => (roll -= ID_WEIGHTS[name]) < 0) ?? 'unknown';
    }
    yield { index, kind, ...ID_FAMILIES[kind](random, sources, fresh) };
  }
}
