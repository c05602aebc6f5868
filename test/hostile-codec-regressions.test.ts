import assert from 'node:assert/strict';
import { Sealer } from '../lib/cookie/sealer.js';
import { MAX_JSON_DEPTH, nestsDeeperThan, parseJsonObject } from '../lib/json.js';
import { sealedCodec as createSealedCookieCodec } from './helpers/codec.js';
import { nestedJson } from './helpers/hostile.js';

// found by the hostile-cookie generator (test/hostile-cookies.test.ts); kept here as plain unit tests
describe('codec fixes found by the hostile-cookie generator', () => {
  describe('deeply nested JSON', () => {
    it(`is rejected past ${MAX_JSON_DEPTH} levels, objects or arrays`, () => {
      assert.ok(parseJsonObject(nestedJson(MAX_JSON_DEPTH, 'objects')));
      assert.equal(parseJsonObject(nestedJson(MAX_JSON_DEPTH + 1, 'objects')), undefined);
      // nestedJson(n, 'arrays') is an object holding n nested arrays: n + 1 levels
      assert.ok(parseJsonObject(nestedJson(MAX_JSON_DEPTH - 1, 'arrays')));
      assert.equal(parseJsonObject(nestedJson(MAX_JSON_DEPTH, 'arrays')), undefined);
    });

    it('counts only brackets outside strings, escaped quotes included', () => {
      const text = JSON.stringify({ note: '['.repeat(5000) + '"\\' + '{'.repeat(5000), list: [ [ 1 ] ] });
      assert.equal(nestsDeeperThan(text, 3), false);
      assert.deepEqual(parseJsonObject(text)?.list, [ [ 1 ] ]);
      assert.equal(nestsDeeperThan('{"a":[[[[1]]]]}', 4), true);
    });

    it('in a cookie sealed with the app key gives a bad-cookie description instead of data that overflows JSON.stringify', () => {
      const codec = createSealedCookieCodec([ 'hd-key' ], 'EGG_SESS', false);
      const cookie = new Sealer([ 'hd-key' ], 'EGG_SESS').seal(nestedJson(5000, 'arrays'));
      assert.equal(typeof codec.decode(cookie), 'string');
      // what the depth limit prevents: koa-session hashes loaded sessions with JSON.stringify
      assert.throws(() => JSON.stringify(JSON.parse(nestedJson(20_000, 'arrays'))), RangeError);
    });
  });

  describe('non-canonical base64url in a sealed cookie', () => {
    it('one extra character outside the alphabet is rejected, whatever the body length', () => {
      const sealer = new Sealer([ 'hd-key' ], 'EGG_SESS');
      const lengths = new Set<number>();
      for (let size = 1; size <= 12; size++) {
        const cookie = sealer.seal(JSON.stringify({ pad: 'x'.repeat(size) }));
        lengths.add((cookie.length - 3) % 4);
        assert.ok(sealer.open(cookie));
        for (const junk of [ '.', '%', ' ', 'é', '=', '!' ]) {
          const at = 3 + Math.floor((cookie.length - 3) / 2);
          assert.equal(sealer.open(cookie.slice(0, at) + junk + cookie.slice(at)), undefined, `${junk} inside a ${cookie.length}-char cookie`);
        }
        assert.equal(sealer.open(`${cookie}=`), undefined);
      }
      // every body length modulo 4 was tried (0 is the one the old decoded-length check missed)
      assert.deepEqual([ ...lengths ].sort(), [ 0, 2, 3 ]);
    });
  });
});
