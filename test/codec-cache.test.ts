import assert from 'node:assert/strict';
import { Sealer } from '../lib/cookie/sealer.js';
import { OpenedCookieCache } from '../lib/cookie/opened-cache.js';
import { sealedCodec as createSealedCookieCodec } from './helpers/codec.js';

/** Counts Sealer#open calls (real AES-GCM opens) while `work` runs. */
function countOpens(work: () => void): number {
  const open = Sealer.prototype.open;
  let calls = 0;
  Sealer.prototype.open = function(this: Sealer, value: string) {
    calls++;
    return open.call(this, value);
  };
  try {
    work();
  } finally {
    Sealer.prototype.open = open;
  }
  return calls;
}

/** The cookie with one character in the middle of the body changed (all its 6 bits count). */
function tamper(value: string): string {
  const at = Math.floor(value.length / 2);
  return value.slice(0, at) + (value[at] === 'A' ? 'B' : 'A') + value.slice(at + 1);
}

const entry = (i: number) => ({ text: `{"i":${String(i).padStart(40, '0')}}`, keyIndex: 0 });
// distinct tails: the cache tells first sightings apart by a cookie's last characters
const cookie = (i: number) => `v2.${String(i).padStart(50, '0')}`;

describe('codec: opened-cookie cache', () => {
  it('opens a cookie that keeps coming back twice, then reads it from the cache', () => {
    const codec = createSealedCookieCodec([ 'key-a' ], 'EGG_SESS', false);
    const value = codec.encode({ user: 'u1', n: 1 });
    const opens = countOpens(() => {
      for (let i = 0; i < 10; i++) assert.deepEqual(codec.decode(value), { user: 'u1', n: 1 });
    });
    assert.equal(opens, 2);
  });

  it('does not keep cookies read once (every write sends a new one)', () => {
    const cache = new OpenedCookieCache();
    for (let i = 0; i < 1000; i++) cache.remember(cookie(i), entry(i));
    assert.equal(cache.chars, 0);
    cache.remember(cookie(7), entry(7));
    assert.deepEqual(cache.get(cookie(7)), entry(7));
  });

  it('still authenticates a tampered copy of a cached cookie', () => {
    const codec = createSealedCookieCodec([ 'key-a' ], 'EGG_SESS', false);
    const value = codec.encode({ admin: false });
    for (let i = 0; i < 3; i++) assert.deepEqual(codec.decode(value), { admin: false });
    const tampered = tamper(value);
    let decoded: unknown;
    const opens = countOpens(() => {
      decoded = codec.decode(tampered);
    });
    assert.equal(opens, 1);
    assert.equal(typeof decoded, 'string', 'a bad cookie decodes to its description');
  });

  it('gives every request its own object: changes do not reach the next decode', () => {
    const codec = createSealedCookieCodec([ 'key-a' ], 'EGG_SESS', false);
    const value = codec.encode({ cart: { items: [ 1 ] } });
    for (let i = 0; i < 3; i++) {
      const decoded = codec.decode(value) as { cart: { items: number[] } };
      assert.deepEqual(decoded, { cart: { items: [ 1 ] } });
      decoded.cart.items.push(2);
    }
  });

  it('keeps the key index: a cookie of an older key asks for a re-save on every read', () => {
    const old = createSealedCookieCodec([ 'key-old' ], 'EGG_SESS', false);
    const rotated = createSealedCookieCodec([ 'key-new', 'key-old' ], 'EGG_SESS', false);
    const value = old.encode({ n: 1 });
    for (let i = 0; i < 2; i++) assert.equal(rotated.open(value).stale, true);
    const opens = countOpens(() => {
      assert.equal(rotated.open(value).stale, true);
    });
    assert.equal(opens, 0);
  });

  it('stays within its character budget, keeping what is read and dropping what is not', () => {
    const cache = new OpenedCookieCache(6400);
    const keep = (i: number) => {
      cache.remember(cookie(i), entry(i));
      cache.remember(cookie(i), entry(i));
    };
    keep(0);
    for (let i = 1; i < 500; i++) {
      keep(i);
      // cookie 0 is read on every request, so it stays
      assert.deepEqual(cache.get(cookie(0)), entry(0));
      assert.ok(cache.chars <= 6400, `${cache.chars} chars`);
    }
    assert.equal(cache.get(cookie(1)), undefined);
    assert.deepEqual(cache.get(cookie(499)), entry(499));
  });

  it('does not keep a cookie larger than 1/64 of the budget', () => {
    const cache = new OpenedCookieCache(6400);
    const big = `v2.${'x'.repeat(200)}`;
    for (let i = 0; i < 3; i++) cache.remember(big, { text: '{}', keyIndex: 0 });
    assert.equal(cache.get(big), undefined);
    assert.equal(cache.chars, 0);
  });
});
