import assert from 'node:assert/strict';
import { createDecipheriv, hkdfSync } from 'node:crypto';
import { mm, type MockApplication } from '@eggjs/mock';
import { request, TestAgent } from '@eggjs/supertest';
import { Sealer } from '../lib/cookie/sealer.js';
import { findCookie, sealedBody, sessionCookie, setCookies } from './helpers/cookies.js';
import { nextEvent, noEvent } from './helpers/session-events.js';
import { objectPrototypeSnapshot } from './helpers/hostile-run.js';
import { codecApps } from './helpers/codec-apps.js';
import { bootCookieApp } from './helpers/boot.js';

const SECRETS = { name: 'cs-secret-name-7f3a', role: 'cs-admin-role-91', email: 'alice.cs@example.test' };

/** A `v2.` cookie holding `plaintext`, sealed with the sealed app's current key: only the JSON is hostile. */
function sealedWithAppKey(plaintext: string): string {
  return new Sealer([ 'cs-new-key' ], 'EGG_SESS').seal(plaintext);
}

function flipBit(value: string, byteIndex: number): string {
  const body = sealedBody(value);
  body[byteIndex] ^= 0x01;
  return 'v2.' + body.toString('base64url');
}

/** The base64url character that differs from `char` in its lowest bit only. */
function base64urlSibling(char: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  return alphabet[alphabet.indexOf(char) ^ 1];
}

describe('sealed cookie sessions over HTTP (codecApps.sealed)', () => {
  let app: MockApplication;
  before(async () => {
    app = await bootCookieApp(codecApps.sealed());
  });
  after(() => app.close());
  afterEach(mm.restore);

  describe('the sealed cookie', () => {
    it('holds no plaintext of the session, in the raw Set-Cookie or its base64 body, and no .sig cookie', async () => {
      const res = await request(app.callback()).get('/set').query(SECRETS).expect(200);
      const raw = JSON.stringify(res.headers['set-cookie']);
      const body = sealedBody(sessionCookie(res).value);
      for (const secret of Object.values(SECRETS)) {
        assert.ok(!raw.includes(secret), `Set-Cookie shows ${secret}`);
        assert.ok(!body.includes(secret), `the cookie body holds ${secret} in clear`);
        assert.ok(!raw.includes(Buffer.from(secret).toString('base64').slice(0, 12)), `Set-Cookie holds ${secret} in base64`);
      }
      for (const field of [ 'name', 'role', 'email', '_expire' ]) assert.ok(!raw.includes(field), `Set-Cookie shows "${field}"`);
      assert.deepEqual(setCookies(res).map(cookie => cookie.name), [ 'EGG_SESS' ]);
      assert.ok(!raw.includes('.sig'));
    });

    it('is v2. + URL-safe base64 of iv(12) | ciphertext | tag(16), sealed with HKDF-SHA256 of the first app key, the cookie name as AAD', async () => {
      const res = await request(app.callback()).get('/set').query({ name: 'format' }).expect(200);
      const cookie = sessionCookie(res);
      assert.match(cookie.value, /^v2\.[A-Za-z0-9_-]+$/);
      // decrypt with node:crypto only, from the documented format: no code of the plugin involved
      const body = sealedBody(cookie.value);
      const key = Buffer.from(hkdfSync('sha256', 'cs-new-key', '', 'egg-session-plus/cookie/aes-256-gcm/v1', 32));
      const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, 12));
      decipher.setAuthTag(body.subarray(body.length - 16));
      decipher.setAAD(Buffer.from('EGG_SESS'));
      const json = Buffer.concat([ decipher.update(body.subarray(12, body.length - 16)), decipher.final() ]).toString();
      const data = JSON.parse(json);
      assert.equal(data.name, 'format');
      assert.equal(typeof data._expire, 'number');
      assert.equal(body.length, 12 + Buffer.byteLength(json) + 16);
      // and the key is not the raw app key egg signs with
      const rawKeyDecipher = createDecipheriv('aes-256-gcm', Buffer.from('cs-new-key'.padEnd(32, '\0')), body.subarray(0, 12));
      rawKeyDecipher.setAuthTag(body.subarray(body.length - 16));
      rawKeyDecipher.update(body.subarray(12, body.length - 16));
      assert.throws(() => rawKeyDecipher.final(), /unable to authenticate/);
    });

    it('uses a fresh IV per write: the same data twice gives two different cookies', async () => {
      const first = sessionCookie(await request(app.callback()).get('/set').query({ name: 'same' }).expect(200));
      const second = sessionCookie(await request(app.callback()).get('/set').query({ name: 'same' }).expect(200));
      assert.notEqual(first.value, second.value);
      assert.notDeepEqual(sealedBody(first.value).subarray(0, 12), sealedBody(second.value).subarray(0, 12));
      // both still read back
      for (const cookie of [ first, second ]) {
        const res = await request(app.callback()).get('/get').set('Cookie', `EGG_SESS=${cookie.value}`).expect(200);
        assert.deepEqual(res.body.session, { name: 'same' });
      }
    });

    it('keeps the session across requests and writes nothing when it did not change', async () => {
      const agent = new TestAgent(app.callback());
      await agent.get('/set').query({ name: 'kept' }).expect(200);
      const res = await agent.get('/get').expect(200);
      assert.deepEqual(res.body.session, { name: 'kept' });
      assert.equal(res.body.isNew, false);
      assert.equal(findCookie(res), undefined);
    });
  });

  describe('hostile cookies: a fresh empty session, a 200, session:invalid logged, prototypes untouched', () => {
    let genuine: string;
    // a genuine cookie that has '-' or '_' and unused low bits in its last character: it can be respelled
    let respellable: string;
    before(async () => {
      genuine = sessionCookie(await request(app.callback()).get('/set').query({ name: 'genuine', admin: 'no' })).value;
      for (let pad = 0; !respellable && pad < 64; pad++) {
        const value = sessionCookie(await request(app.callback()).get('/set').query({ name: 'respelled', pad: 'p'.repeat(pad) })).value;
        if (/[-_]/.test(value.slice(3)) && sealedBody(value).length % 3 !== 0) respellable = value;
      }
      assert.ok(respellable, 'a respellable genuine cookie');
      const read = await request(app.callback()).get('/get').set('Cookie', `EGG_SESS=${respellable}`).expect(200);
      assert.equal(read.body.session.name, 'respelled', 'the genuine spelling opens');
    });

    const sealedPayloads: Record<string, string> = {
      'JSON array': '[{"name":"x"}]',
      'JSON number': '42',
      'JSON string': '"a string"',
      'JSON null': 'null',
      'JSON true': 'true',
      'not JSON': '{name: x}',
      'empty plaintext object text': '',
      '__proto__ key': '{"__proto__":{"polluted":"yes"},"name":"x"}',
      'a Session method key (toJSON)': '{"toJSON":1,"name":"x"}',
      'a Session setter key (maxAge)': '{"maxAge":"forever","name":"x"}',
      '\\u005f_proto__ escaped key': '{"\\u005f_proto__":{"polluted":"yes"},"name":"x"}',
      'an escaped Session key (\\u0073ave)': '{"\\u0073ave":1}',
      'nested __proto__': '{"name":"x","profile":{"prefs":{"__proto__":{"polluted":"yes"}}}}',
      'nested escaped __proto__ in an array': '{"list":[1,{"\\u005f\\u005fproto\\u005f\\u005f":{"polluted":"yes"}}]}',
      // deeper than MAX_JSON_DEPTH (256): the session's JSON.stringify would recurse that deep on every request
      'nested 300 levels deep': `{"tree":${'{"node":'.repeat(299)}1${'}'.repeat(299)}}`,
    };

    const cases: Array<[string, () => string]> = [
      [ 'truncated by 5 chars', () => genuine.slice(0, -5) ],
      [ 'cut in half', () => genuine.slice(0, genuine.length >> 1) ],
      [ 'only the version prefix', () => 'v2.' ],
      [ 'bit-flipped in the IV', () => flipBit(genuine, 3) ],
      [ 'bit-flipped in the ciphertext', () => flipBit(genuine, 20) ],
      [ 'bit-flipped in the tag', () => flipBit(genuine, sealedBody(genuine).length - 1) ],
      [ 'sealed with an unknown key', () => new Sealer([ 'cs-stranger-key' ], 'EGG_SESS').seal('{"name":"forged","admin":"yes"}') ],
      [ 'not base64', () => 'v2.!!not*base64(at)all!!' ],
      [ 'base64 with junk inside', () => genuine.slice(0, 20) + '!!' + genuine.slice(20) ],
      // the same bytes under another spelling (Node's base64url decoder accepts each): one cookie has one spelling
      [ 'a genuine cookie respelled in standard base64 (+ and / for - and _)', () => respellable.replaceAll('-', '+').replaceAll('_', '/') ],
      [ 'a genuine cookie with a changed unused low bit in its last character', () => respellable.slice(0, -1) + base64urlSibling(respellable.at(-1)!) ],
      [ 'a genuine cookie with a character the base64 decoder skips (.) inserted', () => respellable.slice(0, 30) + '.' + respellable.slice(30) ],
      [ 'no version prefix, random text', () => 'hello-there' ],
      [ 'a future version', () => 'v3.' + genuine.slice(3) ],
      [ 'the previous version (v1, not bound to the cookie name)', () => 'v1.' + genuine.slice(3) ],
      [ '10 KB of base64url', () => 'v2.' + Buffer.alloc(7680, 0xa5).toString('base64url') ],
      [ '10 KB of junk', () => 'x'.repeat(10 * 1024) ],
      ...Object.entries(sealedPayloads).map(([ label, json ]): [string, () => string] =>
        [ `sealed ${label}`, () => sealedWithAppKey(json) ]),
    ];

    for (const [ label, hostile ] of cases) {
      it(label, async () => {
        const prototypeBefore = objectPrototypeSnapshot();
        app.mockLog('coreLogger');
        const cookie = hostile();
        const invalid = nextEvent(app, 'session:invalid');
        const res = await request(app.callback()).get('/get').set('Cookie', `EGG_SESS=${cookie}`).expect(200);
        assert.deepEqual(res.body, { session: {}, isNew: true, prototype: 'Session', methods: true });
        const event = await invalid;
        assert.equal(event.ctx.path, '/get');
        app.expectLog(/WARN .*\[session\]\[invalid\] key\(undefined\) value\(/, 'coreLogger');
        // the rejected value is logged as sent (ciphertext), never decrypted, and cut short
        app.notExpectLog('polluted', 'coreLogger');
        app.notExpectLog('x'.repeat(201), 'coreLogger');
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
        assert.equal(objectPrototypeSnapshot(), prototypeBefore);
        // an empty new session is not written back
        assert.equal(findCookie(res), undefined);
      });
    }

    it('an empty cookie value (EGG_SESS=)', async () => {
      const invalid = nextEvent(app, 'session:invalid');
      const res = await request(app.callback()).get('/get').set('Cookie', 'other=1; EGG_SESS=; more=2').expect(200);
      assert.deepEqual(res.body.session, {});
      assert.equal(res.body.isNew, true);
      assert.equal((await invalid).value, '');
    });

    it('a genuine cookie after a look-alike name is neither empty nor invalid', async () => {
      const res = await request(app.callback()).get('/get')
        .set('Cookie', `XEGG_SESS=; EGG_SESS=${genuine}`).expect(200);
      assert.equal(res.body.session.name, 'genuine');
      await noEvent(app, 'session:invalid');
    });

    it('a hostile cookie on a route that never reads the session costs nothing and answers normally', async () => {
      const res = await request(app.callback()).get('/untouched').set('Cookie', `EGG_SESS=${'x'.repeat(10 * 1024)}`).expect(200);
      assert.equal(res.text, 'nothing');
      assert.equal(findCookie(res), undefined);
    });
  });

  describe('regenerate() in cookie mode', () => {
    it('writes a new ciphertext; the pre-login cookie never carries the login', async () => {
      const agent = new TestAgent(app.callback());
      const before = sessionCookie(await agent.get('/set').query({ cart: '3 items' }).expect(200)).value;
      const login = await agent.get('/login').query({ user: 'alice' }).expect(200);
      const after = sessionCookie(login).value;
      assert.notEqual(after, before);
      assert.equal(setCookies(login).filter(cookie => cookie.name === 'EGG_SESS').length, 1);
      const res = await agent.get('/get').expect(200);
      assert.deepEqual(res.body.session, { cart: '3 items', user: 'alice' });
      // a cookie captured before the login (session fixation) stays an anonymous session
      const replay = await request(app.callback()).get('/get').set('Cookie', `EGG_SESS=${before}`).expect(200);
      assert.deepEqual(replay.body.session, { cart: '3 items' });
    });
  });
});
