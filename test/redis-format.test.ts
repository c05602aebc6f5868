import assert from 'node:assert/strict';
import { diffFields, encodeFields, loadedFields, readSessionReply, withoutExpire } from '../lib/store/redis-format.js';

describe('redis store format helpers', () => {
  it('encodes top-level fields as JSON, leaving out _expire and undefined values', () => {
    const fields = encodeFields({ a: 1, b: { c: [ 1 ] }, gone: undefined, _expire: 5, _maxAge: 1000 });
    assert.deepEqual([ ...fields ], [ [ 'a', '1' ], [ 'b', '{"c":[1]}' ], [ '_maxAge', '1000' ] ]);
    assert.deepEqual(withoutExpire({ a: 1, _expire: 5 }), { a: 1 });
  });

  it('diffs fields into set (added or changed) and del (removed)', () => {
    const before = new Map([ [ 'a', '1' ], [ 'b', '2' ], [ 'c', '3' ] ]);
    const after = new Map([ [ 'a', '1' ], [ 'b', '20' ], [ 'd', '4' ] ]);
    assert.deepEqual(diffFields(before, after), { set: [ [ 'b', '20' ], [ 'd', '4' ] ], del: [ 'c' ] });
    assert.deepEqual(diffFields(before, new Map(before)), { set: [], del: [] });
  });

  it('reads the whole-object format and derives _expire from the PTTL', () => {
    const read = readSessionReply([ 'string', '{"a":1,"_maxAge":60000}', 70_000 ], 1_000_000)!;
    assert.deepEqual(read.value, { a: 1, _maxAge: 60000, _expire: 1_000_000 + 60_000 });
    assert.equal(read.snapshot.format, 'string');
    assert.deepEqual([ ...loadedFields(read.snapshot)! ], [ [ 'a', '1' ], [ '_maxAge', '60000' ] ]);
  });

  it('reads the hash format, keeping the raw fields', () => {
    const read = readSessionReply([ 'hash', [ 'a', '"x"', '_session', 'true' ], 3_600_000 ])!;
    assert.deepEqual(read.value, { a: 'x', _session: true }, "no _expire for maxAge 'session'");
    assert.deepEqual([ ...read.snapshot.fields! ], [ [ 'a', '"x"' ], [ '_session', 'true' ] ]);
  });

  it('keeps a stored _expire when the key has no TTL', () => {
    const read = readSessionReply([ 'string', '{"_maxAge":1,"_expire":7}', -1 ])!;
    assert.equal(read.value._expire, 7);
  });

  it('returns undefined for missing keys, other types and bad replies', () => {
    assert.equal(readSessionReply([ 'none' ]), undefined);
    assert.equal(readSessionReply([ 'list' ]), undefined);
    assert.equal(readSessionReply(null), undefined);
    assert.equal(readSessionReply([ 'hash', [ 'a', '1,"b":2' ], 10 ]), undefined);
    assert.equal(readSessionReply([ 'hash', [ 'constructor', '{}' ], 10 ]), undefined);
  });
});
