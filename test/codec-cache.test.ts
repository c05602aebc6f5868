import assert from 'node:assert/strict';
import { Sealer } from '../lib/codec/sealer.js';
import { OpenedCookieCache } from '../lib/codec/opened-cache.js';
import { createSealedCookieCodec } from '../lib/cookie-codec.js';

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

describe('codec: opened-cookie cache', () => {
  it('reads a cookie this codec sealed without opening it, and a repeated cookie opens once', () => {
    const codec = createSealedCookieCodec([ 'key-a' ], false);
    const other = createSealedCookieCodec([ 'key-a' ], false);
    const mine = codec.encode({ user: 'u1', n: 1 });
    const foreign = other.encode({ user: 'u2', n: 2 });
    const opens = countOpens(() => {
      assert.deepEqual(codec.decode(mine), { user: 'u1', n: 1 });
      for (let i = 0; i < 5; i++) assert.deepEqual(codec.decode(foreign), { user: 'u2', n: 2 });
    });
    assert.equal(opens, 1);
  });

  it('still authenticates a tampered copy of a cached cookie', () => {
    const codec = createSealedCookieCodec([ 'key-a' ], false);
    const value = codec.encode({ admin: false });
    assert.deepEqual(codec.decode(value), { admin: false });
    const tampered = tamper(value);
    let decoded: unknown;
    const opens = countOpens(() => {
      decoded = codec.decode(tampered);
    });
    assert.equal(opens, 1);
    assert.equal(typeof decoded, 'string', 'a bad cookie decodes to its description');
  });

  it('gives every request its own object: changes do not reach the next decode', () => {
    const codec = createSealedCookieCodec([ 'key-a' ], false);
    const value = codec.encode({ cart: { items: [ 1 ] } });
    const first = codec.decode(value) as { cart: { items: number[] } };
    first.cart.items.push(2);
    assert.deepEqual(codec.decode(value), { cart: { items: [ 1 ] } });
  });

  it('keeps the key index: a cookie of an older key asks for a re-save on every read', () => {
    const old = createSealedCookieCodec([ 'key-old' ], false);
    const rotated = createSealedCookieCodec([ 'key-new', 'key-old' ], false);
    const value = old.encode({ n: 1 });
    assert.equal((rotated.decode(value) as Record<string, unknown>)._requireSave, true);
    const opens = countOpens(() => {
      assert.equal((rotated.decode(value) as Record<string, unknown>)._requireSave, true);
    });
    assert.equal(opens, 0);
  });

  it('stays within its character budget, keeping what is read and dropping what is not', () => {
    const cache = new OpenedCookieCache(6400);
    const entry = (i: number) => ({ text: `{"i":${String(i).padStart(40, '0')}}`, keyIndex: 0 });
    const cookie = (i: number) => `v1.${String(i).padStart(50, '0')}`;
    cache.remember(cookie(0), entry(0));
    for (let i = 1; i < 500; i++) {
      cache.remember(cookie(i), entry(i));
      // cookie 0 is read on every request, so it stays
      assert.deepEqual(cache.get(cookie(0)), entry(0));
      assert.ok(cache.chars <= 6400, `${cache.chars} chars`);
    }
    assert.equal(cache.get(cookie(1)), undefined);
    assert.deepEqual(cache.get(cookie(499)), entry(499));
  });

  it('does not keep a cookie larger than 1/64 of the budget', () => {
    const cache = new OpenedCookieCache(6400);
    const big = `v1.${'x'.repeat(200)}`;
    cache.remember(big, { text: '{}', keyIndex: 0 });
    assert.equal(cache.get(big), undefined);
    assert.equal(cache.chars, 0);
  });
});
