import assert from 'node:assert/strict';
import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { deriveKey, HKDF_INFO, Sealer } from '../lib/cookie/sealer.js';
import { RandomPool } from '../lib/cookie/random-pool.js';
import { isSessionShaped, parseJsonObject } from '../lib/json.js';
import { sealedCodec as createSealedCookieCodec, signedCodec as createSignedCookieCodec } from './helpers/codec.js';
import { checkCookieSize, SessionCookieTooLargeError, type CookieSizeSettings } from '../lib/cookie/response.js';
import { sendsEmptyCookie } from '../app/middleware/session.js';
import { objectPrototypeSnapshot } from './helpers/hostile-run.js';

const createCookieSizeCheck = (key: string, settings: Omit<CookieSizeSettings, 'key'>) => (ctx: any) => checkCookieSize(ctx, { key, ...settings });

/** egg's cookie encryption key for `key` (@eggjs/cookies keygrip: EVP_BytesToKey with MD5). */
function eggCbcKey(key: string): Buffer {
  const first = createHash('md5').update(key).digest();
  const second = createHash('md5').update(first).update(key).digest();
  return Buffer.concat([ first, second ]);
}

describe('codec: Sealer (AES-256-GCM)', () => {
  const sealer = new Sealer([ 'key-a' ], 'EGG_SESS');

  it('round-trips text, with unicode', () => {
    const text = JSON.stringify({ name: 'Zoë 🍪', n: 1 });
    assert.deepEqual(sealer.open(sealer.seal(text)), { text, keyIndex: 0 });
  });

  it('writes v2. + base64url(iv 12 | ciphertext | tag 16)', () => {
    const sealed = sealer.seal('{"a":1}');
    assert.match(sealed, /^v2\.[A-Za-z0-9_-]+$/);
    assert.equal(Buffer.from(sealed.slice(3), 'base64url').length, 12 + 7 + 16);
  });

  it('uses a fresh IV for every seal, also across pool refills', () => {
    const ivs = new Set<string>();
    // 1000 seals use 12 000 pool bytes: the 4 KB pool refills twice
    for (let i = 0; i < 1000; i++) {
      const sealed = sealer.seal('{"same":"data"}');
      ivs.add(Buffer.from(sealed.slice(3), 'base64url').subarray(0, 12).toString('hex'));
      assert.equal(sealer.open(sealed)?.text, '{"same":"data"}');
    }
    assert.equal(ivs.size, 1000);
  });

  it('seals with the first key and opens with any listed key, reporting which', () => {
    const rotated = new Sealer([ 'key-b', 'key-a' ], 'EGG_SESS');
    assert.deepEqual(rotated.open(sealer.seal('{"x":1}')), { text: '{"x":1}', keyIndex: 1 });
    assert.equal(rotated.open(rotated.seal('{"x":2}'))?.keyIndex, 0);
    assert.equal(sealer.open(rotated.seal('{"x":3}')), undefined);
  });

  it('rejects every single-bit flip anywhere in the body', () => {
    const sealed = sealer.seal('{"admin":false}');
    const body = Buffer.from(sealed.slice(3), 'base64url');
    for (let byte = 0; byte < body.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = Buffer.from(body);
        flipped[byte] ^= 1 << bit;
        assert.equal(sealer.open('v2.' + flipped.toString('base64url')), undefined, `byte ${byte} bit ${bit}`);
      }
    }
  });

  it('rejects truncation at every length, appended bytes, empty, non-base64 and padded text', () => {
    const sealed = sealer.seal('{"a":1}');
    for (let end = 0; end < sealed.length; end++) assert.equal(sealer.open(sealed.slice(0, end)), undefined, `cut at ${end}`);
    const body = Buffer.from(sealed.slice(3), 'base64url');
    assert.equal(sealer.open('v2.' + Buffer.concat([ body, Buffer.from([ 0 ]) ]).toString('base64url')), undefined);
    for (const bad of [ '', 'v1', 'v2.', 'v2.====', 'v2.!!!!', `${sealed}==`, `${sealed.slice(0, 10)} ${sealed.slice(10)}`, sealed.slice(3) ]) {
      assert.equal(sealer.open(bad), undefined, JSON.stringify(bad));
    }
  });

  it('opens only the canonical spelling: no standard-base64 characters, no stray low bits in the last character', () => {
    // seal until both '-' or '_' occur and the body length leaves unused bits in the last character
    let sealed = '';
    for (let text = 'x'; !sealed; text += 'y') {
      const candidate = sealer.seal(JSON.stringify({ text }));
      const body = candidate.slice(3);
      if (/[-_]/.test(body) && Buffer.from(body, 'base64url').length % 3 !== 0) sealed = candidate;
    }
    assert.ok(sealer.open(sealed));
    assert.equal(sealer.open(sealed.replaceAll('-', '+').replaceAll('_', '/')), undefined, 'standard base64 alphabet');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = sealed.at(-1)!;
    const sibling = alphabet[alphabet.indexOf(last) ^ 1];
    assert.equal(sealer.open(sealed.slice(0, -1) + sibling), undefined, 'a flipped unused low bit');
  });

  it('never throws on random input (bounded fuzz)', () => {
    for (let i = 0; i < 2000; i++) {
      const junk = randomBytes(i % 97);
      for (const value of [ 'v2.' + junk.toString('base64url'), junk.toString('latin1'), 'v2.' + junk.toString('latin1') ]) {
        assert.equal(sealer.open(value), undefined);
      }
    }
  });
});

describe('codec: HKDF key derivation', () => {
  const raw = (key: string) => deriveKey(key).export();

  it('is HKDF-SHA256(app key, no salt, the purpose label), 32 bytes', () => {
    assert.equal(HKDF_INFO, 'egg-session-plus/cookie/aes-256-gcm/v1');
    assert.deepEqual(raw('app-key'), Buffer.from(hkdfSync('sha256', 'app-key', '', HKDF_INFO, 32)));
    assert.equal(raw('app-key').length, 32);
    assert.deepEqual(raw('app-key'), raw('app-key'));
  });

  it('differs per app key', () => {
    const keys = [ 'a', 'b', 'app-key', 'app-key ', 'cs-new-key', 'cs-old-key' ].map(key => raw(key).toString('hex'));
    assert.equal(new Set(keys).size, keys.length);
  });

  it("differs from what egg signs and encrypts cookies with", () => {
    for (const key of [ 'cs-new-key', 'a-32-byte-long-key-aaaaaaaaaaaaa' ]) {
      const derived = raw(key);
      // egg's keygrip signs with HMAC-SHA256 keyed by the raw app key
      assert.notDeepEqual(derived, Buffer.from(key));
      assert.notDeepEqual(derived, createHmac('sha256', key).update('').digest());
      // and encrypts (encrypt: true) with an MD5-derived AES-256-CBC key
      assert.notDeepEqual(derived, eggCbcKey(key));
    }
  });
});

describe('codec: RandomPool', () => {
  it('hands out distinct bytes and refills when empty', () => {
    const pool = new RandomPool(64);
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) seen.add(pool.take(12).toString('hex'));
    assert.equal(seen.size, 50);
  });

  it('refuses a take larger than the pool', () => {
    assert.throws(() => new RandomPool(16).take(17), RangeError);
  });
});

describe('codec: safe JSON', () => {
  it('parses plain objects, nested values included', () => {
    assert.deepEqual(parseJsonObject('{"a":1,"b":{"c":[1,"constructor"]},"note":"the prototype of \\u00e9"}'),
      { a: 1, b: { c: [ 1, 'constructor' ] }, note: 'the prototype of é' });
  });

  it('returns undefined for JSON that is not an object, and for non-JSON', () => {
    for (const text of [ '[]', '[{}]', '1', '"s"', 'null', 'true', '', '{', '{a:1}', 'undefined' ]) {
      assert.equal(parseJsonObject(text), undefined, text);
    }
  });

  it('rejects __proto__ keys at any depth, escaped or not', () => {
    const before = objectPrototypeSnapshot();
    for (const text of [
      '{"__proto__":{"polluted":1}}',
      '{"\\u005f_proto__":{"polluted":1}}',
      '{"\\u005F\\u005Fproto\\u005F\\u005F":{"polluted":1}}',
      '{"a":{"b":[{"__proto__":{"polluted":1}}]}}',
    ]) {
      assert.equal(parseJsonObject(text), undefined, text);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(objectPrototypeSnapshot(), before);
  });

  it('keeps constructor and prototype keys as plain data: what an app writes reads back', () => {
    const before = objectPrototypeSnapshot();
    for (const text of [ '{"constructor":{"prototype":{"polluted":1}}}', '{"prototype":1}', '{"a":[[{"\\u0063onstructor":1}]]}' ]) {
      assert.deepEqual(parseJsonObject(text), JSON.parse(text), text);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(objectPrototypeSnapshot(), before);
  });

  it('isSessionShaped refuses __proto__, Session model keys and class instances', () => {
    assert.equal(isSessionShaped(JSON.parse('{"__proto__":{}}')), false);
    for (const key of [ 'toJSON', 'save', 'regenerate', 'maxAge', 'isNew', 'externalKey' ]) {
      assert.equal(isSessionShaped({ [key]: 1 }), false, key);
    }
    for (const value of [ new Date(), new Map(), [], 'x', null, 1 ]) assert.equal(isSessionShaped(value), false, String(value));
    assert.equal(isSessionShaped({ constructor: 1, prototype: 2 }), true);
    assert.equal(isSessionShaped({ a: 1 }), true);
    assert.equal(isSessionShaped(Object.create(null)), true);
  });
});

describe('codec: cookie codecs', () => {
  it('sealed: encodes to v2., decodes back; an older key marks the cookie for re-sealing', () => {
    const current = createSealedCookieCodec([ 'new', 'old' ], 'EGG_SESS', true);
    const previous = createSealedCookieCodec([ 'old' ], 'EGG_SESS', true);
    assert.deepEqual(current.open(current.encode({ a: 1, _maxAge: 5 })), { data: { _maxAge: 5, a: 1 }, appText: '{"a":1}', stale: false });
    assert.deepEqual(current.open(previous.encode({ a: 1, _maxAge: 5 })), { data: { _maxAge: 5, a: 1 }, appText: '{"a":1}', stale: true });
  });

  it('sealed: a bad cookie decodes to a short description, never throws', () => {
    const codec = createSealedCookieCodec([ 'k' ], 'EGG_SESS', false);
    assert.equal(codec.decode('v2.junk'), 'v2.junk');
    assert.equal(codec.decode('legacy'), 'legacy');
    assert.equal(typeof codec.decode(codec.encode({ a: 1 }).slice(0, -1)), 'string');
    const long = codec.decode('x'.repeat(10240));
    assert.equal(long, `${'x'.repeat(200)}...(10240 chars)`);
  });

  it('sealed: an unsealed cookie is verified as an @eggjs/session one when legacy upgrade is on (without its .sig: a bad cookie)', () => {
    const codec = createSealedCookieCodec([ 'k' ], 'EGG_SESS', true);
    assert.equal(codec.decode(Buffer.from('{"a":1}').toString('base64')), 'eyJhIjoxfQ==');
  });

  it("signed: @eggjs/session's base64 JSON both ways, objects only", () => {
    const codec = createSignedCookieCodec();
    assert.equal(codec.encode({ a: 1 }), Buffer.from('{"a":1}').toString('base64'));
    assert.deepEqual(codec.decode('eyJhIjoxfQ=='), { a: 1 });
    assert.equal(typeof codec.decode(Buffer.from('[1]').toString('base64')), 'string');
    assert.equal(typeof codec.decode(Buffer.from('{"__proto__":{}}').toString('base64')), 'string');
  });
});

describe('codec: size check', () => {
  function fakeCtx(lines: string[] | string | undefined) {
    const headers: Record<string, unknown> = { 'set-cookie': lines };
    const warnings: unknown[][] = [];
    const ctx = {
      res: {
        getHeader: (name: string) => headers[name],
        setHeader: (name: string, value: unknown) => { headers[name] = value; },
      },
      coreLogger: { warn: (...args: unknown[]) => warnings.push(args) },
    };
    return { ctx: ctx as any, headers, warnings };
  }
  const line = (bytes: number) => {
    const head = 'EGG_SESS=';
    const tail = '; path=/; httponly';
    return head + 'v'.repeat(bytes - head.length - tail.length) + tail;
  };

  it('measures the whole line in bytes and passes exactly at the limit', () => {
    for (const policy of [ 'error', 'warn' ] as const) {
      const { ctx, warnings } = fakeCtx([ 'other=1', line(100), 'EGG_SESS.sig=abc' ]);
      createCookieSizeCheck('EGG_SESS', { limit: 100, policy, fallback: 'error' })(ctx);
      assert.equal(warnings.length, 0);
    }
  });

  it("'error' one byte over throws naming size and limit, and drops the session cookie and its .sig only", () => {
    const { ctx, headers } = fakeCtx([ 'other=1', line(101), 'EGG_SESS.sig=abc' ]);
    assert.throws(() => createCookieSizeCheck('EGG_SESS', { limit: 100, policy: 'error', fallback: 'error' })(ctx), (err: unknown) => {
      assert.ok(err instanceof SessionCookieTooLargeError);
      assert.equal(err.size, 101);
      assert.equal(err.limit, 100);
      assert.match(err.message, /"EGG_SESS" is 101 bytes, over cookieSizeLimit 100 bytes/);
      return true;
    });
    assert.deepEqual(headers['set-cookie'], [ 'other=1' ]);
  });

  it("'warn' one byte over logs size and limit and keeps the cookie", () => {
    const { ctx, headers, warnings } = fakeCtx(line(101));
    createCookieSizeCheck('EGG_SESS', { limit: 100, policy: 'warn', fallback: 'error' })(ctx);
    assert.deepEqual(warnings[0].slice(1), [ 'EGG_SESS', 101, 100 ]);
    assert.equal(headers['set-cookie'], line(101));
  });

  it('counts bytes, not characters', () => {
    const { ctx, warnings } = fakeCtx([ 'EGG_SESS=é' ]);
    createCookieSizeCheck('EGG_SESS', { limit: 10, policy: 'warn', fallback: 'error' })(ctx);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0][2], 11);
  });

  it('ignores responses without a session cookie and cookies whose name only starts alike', () => {
    const { ctx } = fakeCtx([ `EGG_SESS_OTHER=${'x'.repeat(500)}` ]);
    createCookieSizeCheck('EGG_SESS', { limit: 100, policy: 'error', fallback: 'error' })(ctx);
    createCookieSizeCheck('EGG_SESS', { limit: 100, policy: 'error', fallback: 'error' })(fakeCtx(undefined).ctx);
  });
});

describe('codec: empty session cookie detection', () => {
  const cases: Array<[string | undefined, boolean]> = [
    [ undefined, false ],
    [ '', false ],
    [ 'EGG_SESS=', true ],
    [ 'EGG_SESS=;a=1', true ],
    [ 'a=1; EGG_SESS=', true ],
    [ 'a=1;  EGG_SESS=; b=2', true ],
    [ 'EGG_SESS=v2.x', false ],
    [ 'EGG_SESS= ', false ],
    [ 'XEGG_SESS=; EGG_SESS=v2.x', false ],
    [ 'a=EGG_SESS=; b=1', false ],
    // egg reads the first pair: an empty one after a real one is never read
    [ 'EGG_SESS=v2.x; EGG_SESS=', false ],
    [ 'EGG_SESS.sig=; EGG_SESS=', true ],
  ];
  for (const [ header, expected ] of cases) {
    it(`${JSON.stringify(header)} → ${expected}`, () => {
      assert.equal(sendsEmptyCookie(header, 'EGG_SESS'), expected);
    });
  }
});
