import assert from 'node:assert/strict';
import { mm, type MockApplication } from '@eggjs/mock';
import { request, TestAgent } from '@eggjs/supertest';
import { findCookie, sessionCookie, setCookies } from './helpers/cookies.js';
import { nextEvent } from './helpers/session-events.js';
import { objectPrototypeSnapshot } from './helpers/hostile-run.js';
import { codecApps } from './helpers/codec-apps.js';
import { bootCookieApp, bootError } from './helpers/boot.js';

const hex = (json: string) => 'hex:' + Buffer.from(json).toString('hex');

describe('options', () => {
  afterEach(mm.restore);

  describe('keys', () => {
    it('config.keys of blank entries only fails the boot, saying how to set it: no session cookie could be sealed', async () => {
      const err = await bootError('cookie', codecApps.noKeys().config);
      assert.match(err.message, /\[egg-session-plus\] config\.keys is empty or holds no usable key.*list older keys after the newest to rotate/);
    });
  });

  describe('a user-supplied encode/decode (codecApps.userCodec)', () => {
    let app: MockApplication;
    before(async () => {
      app = await bootCookieApp(codecApps.userCodec());
    });
    after(() => app.close());

    it('takes precedence over the sealed codec and keeps working', async () => {
      const agent = new TestAgent(app.callback());
      const res = await agent.get('/set').query({ name: 'custom' }).expect(200);
      const cookie = sessionCookie(res);
      assert.match(cookie.value, /^hex:[0-9a-f]+$/);
      assert.equal(JSON.parse(Buffer.from(cookie.value.slice(4), 'hex').toString()).name, 'custom');
      // the app asked for signed: false
      assert.equal(findCookie(res, 'EGG_SESS.sig'), undefined);
      assert.deepEqual((await agent.get('/get').expect(200)).body.session, { name: 'custom' });
    });

    it('a decode that throws gives a fresh session and session:invalid, not a 500', async () => {
      const invalid = nextEvent(app, 'session:invalid');
      const res = await request(app.callback()).get('/get').set('Cookie', 'EGG_SESS=not-hex').expect(200);
      assert.deepEqual(res.body, { session: {}, isNew: true });
      assert.equal((await invalid).value, 'not-hex');
    });

    it('a decode that returns a non-object gives a fresh session', async () => {
      for (const json of [ '[1,2]', '7', '"text"', 'null' ]) {
        const res = await request(app.callback()).get('/get').set('Cookie', `EGG_SESS=${hex(json)}`).expect(200);
        assert.deepEqual(res.body, { session: {}, isNew: true }, json);
      }
    });

    it("an own __proto__ key or a Session model key from the user's decode never reaches koa-session's Session (Reflect.set)", async () => {
      const prototypeBefore = objectPrototypeSnapshot();
      // JSON.parse keeps "__proto__" as an own key; Reflect.set(session, '__proto__', v) would swap its prototype
      for (const json of [
        '{"__proto__":{"polluted":"yes","isNew":false},"name":"x"}',
        '{"toJSON":{"polluted":"yes"},"name":"x"}',
        '{"maxAge":"forever"}',
      ]) {
        const invalid = nextEvent(app, 'session:invalid');
        const res = await request(app.callback()).get('/get').set('Cookie', `EGG_SESS=${hex(json)}`).expect(200);
        assert.deepEqual(res.body, { session: {}, isNew: true }, json);
        await invalid;
      }
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(objectPrototypeSnapshot(), prototypeBefore);
    });
  });

  describe('encrypt: false (codecApps.plain): @eggjs/session\'s signed base64 cookies', () => {
    let app: MockApplication;
    let upstream: MockApplication;
    before(async () => {
      app = await bootCookieApp(codecApps.plain());
      upstream = await bootCookieApp(codecApps.upstream());
    });
    after(() => Promise.all([ app.close(), upstream.close() ]));

    it('writes readable base64 JSON plus a .sig cookie', async () => {
      const agent = new TestAgent(app.callback());
      const res = await agent.get('/set').query({ name: 'plain' }).expect(200);
      assert.deepEqual(setCookies(res).map(cookie => cookie.name), [ 'EGG_SESS', 'EGG_SESS.sig' ]);
      const data = JSON.parse(Buffer.from(sessionCookie(res).value, 'base64').toString());
      assert.equal(data.name, 'plain');
      assert.deepEqual((await agent.get('/get').expect(200)).body.session, { name: 'plain' });
    });

    it('reads cookies written by @eggjs/session as they are (same format, same keys)', async () => {
      const legacy = await request(upstream.callback()).get('/set').query({ name: 'shared' }).expect(200);
      const cookies = setCookies(legacy).map(cookie => `${cookie.name}=${cookie.value}`).join('; ');
      const res = await request(app.callback()).get('/get').set('Cookie', cookies).expect(200);
      assert.deepEqual(res.body.session, { name: 'shared' });
      // nothing to upgrade: no rewrite
      assert.equal(findCookie(res), undefined);
    });

    it('rejects a modified value (the signature no longer matches)', async () => {
      const res = await request(app.callback()).get('/set').query({ name: 'plain', admin: 'no' }).expect(200);
      const value = sessionCookie(res).value;
      const sig = sessionCookie(res, 'EGG_SESS.sig').value;
      const forged = Buffer.from(Buffer.from(value, 'base64').toString().replace('"admin":"no"', '"admin":"yes"')).toString('base64');
      const tampered = await request(app.callback()).get('/get').set('Cookie', `EGG_SESS=${forged}; EGG_SESS.sig=${sig}`).expect(200);
      assert.deepEqual(tampered.body, { session: {}, isNew: true });
      // egg drops the bad signature and koa-session sees no cookie at all (as with @eggjs/session)
      assert.equal(findCookie(tampered, 'EGG_SESS.sig')?.value, '');
    });

    it('rejects a sealed v2. cookie (no silent downgrade between formats)', async () => {
      const res = await request(app.callback()).get('/get').set('Cookie', 'EGG_SESS=v2.AAAA; EGG_SESS.sig=x').expect(200);
      assert.deepEqual(res.body.session, {});
    });
  });

  describe('logValue: false (codecApps.noLog)', () => {
    let app: MockApplication;
    before(async () => {
      app = await bootCookieApp(codecApps.noLog());
    });
    after(() => app.close());

    it('logs session:invalid without the cookie value', async () => {
      app.mockLog('coreLogger');
      const hostile = 'v2.' + 'Q'.repeat(80);
      const invalid = nextEvent(app, 'session:invalid');
      await request(app.callback()).get('/get').set('Cookie', `EGG_SESS=${hostile}`).expect(200);
      assert.equal((await invalid).value, hostile);
      app.expectLog('[session][invalid] key(undefined) value("")', 'coreLogger');
      app.notExpectLog('QQQQ', 'coreLogger');
    });
  });
});
