import assert from 'node:assert/strict';
import { mm, type MockApplication } from '@eggjs/mock';
import { request } from '@eggjs/supertest';
import type { Context } from 'egg';
import type { SessionControl } from '../index.js';
import { bootApp, closeApp, redisClient, type AppConfig } from './helpers/boot.js';
import { requireRedis, startRedisServer, type RedisServer } from './helpers/redis.js';
import { findCookie } from './helpers/cookies.js';

// How egg apps test controllers (@eggjs/mock 6): app.mockSession(data) and app.mockContext({ session }) go
// through the plugin's unittest extension (app/extend/application.unittest.ts), so ctx.session is a real session.
const SETUPS = [
  {
    name: 'Redis store',
    store: true,
    config: (port: number): AppConfig => ({
      keys: 'mock-session-redis-key', fixture: { routes: 'mock-session' },
      session: { store: 'redis', redis: { prefix: 'mockstore:' } }, redis: redisClient(port),
    }),
  },
  {
    name: 'cookie sessions (session control through Redis)',
    store: false,
    config: (port: number): AppConfig => ({
      keys: 'mock-session-cookie-key', fixture: { routes: 'mock-session' },
      session: { control: { enable: true }, redis: { prefix: 'mockcookie:' } }, redis: redisClient(port),
    }),
  },
];

for (const { name, store, config } of SETUPS) {
  describe(`app.mockSession() and app.mockContext({ session }) through the plugin, ${name}`, function () {
    let server: RedisServer;
    let app: MockApplication;
    let control: SessionControl;
    before(async function () {
      if (!requireRedis(this)) return;
      server = await startRedisServer();
      app = await bootApp('redis', config(server.port));
      control = (app as unknown as { sessions: SessionControl }).sessions;
    });
    // how an app's tests end their mocks
    afterEach(mm.restore);
    after(async () => {
      await closeApp(app);
      await server?.stop();
    });

    const get = (path: string, cookie?: string) => {
      const req = request(app.callback()).get(path);
      return cookie ? req.set('Cookie', cookie) : req;
    };
    /** the session cookie a response set, as a Cookie header */
    const cookieOf = (res: { headers: Record<string, unknown> }) => {
      const cookie = findCookie(res);
      assert.ok(cookie?.value, `a session cookie was set: ${JSON.stringify(res.headers['set-cookie'])}`);
      return `EGG_SESS=${cookie.value}`;
    };

    it('app.mockSession({ userId: \'u1\', foo: \'bar\' }): a route calling toJSON(), save(), ctx.flash() and ctx.sessions.list() answers 200 with the data', async () => {
      app.mockSession({ userId: 'u1', foo: 'bar' });
      const res = await get('/mocked').expect(200);
      assert.deepEqual(res.body.loaded, { userId: 'u1', foo: 'bar' });
      assert.equal(res.body.isNew, false, 'a session the client sent');
      assert.equal(res.body.maxAge, 86_400_000);
      assert.deepEqual(res.body.flash, { info: [ 'welcome back' ] });
      assert.deepEqual(res.body.session, { userId: 'u1', foo: 'bar', visits: 1 });
      if (store) {
        // saved and indexed under its user: the one session of u1, this request's
        assert.match(res.body.current, /\S/);
        assert.deepEqual(res.body.sessions.map((s: { id: string; current: boolean }) => [ s.id, s.current ]), [ [ res.body.current, true ] ]);
        // (a session given its user in this request and saved before the commit moves to a new id then: regenerateOnSignIn)
        assert.equal((await control.list('u1')).length, 1);
      } else {
        assert.deepEqual(res.body.sessions, [], 'cookie sessions are not listed');
      }
      // a real session went out: after the mock, its cookie carries it
      const cookie = cookieOf(res);
      mm.restore();
      assert.deepEqual((await get('/get', cookie).expect(200)).body.session, { userId: 'u1', foo: 'bar', visits: 1 });
    });

    it('the next test, without a mock, sees none of it', async () => {
      const res = await get('/get').expect(200);
      assert.deepEqual(res.body.session, {});
      assert.equal(findCookie(res), undefined, 'no session cookie');
    });

    it('every request under the mock starts from the mocked data, as the session its client sent (the client\'s own cookie is not read)', async () => {
      const data = { userId: 'u-each', cart: [ 1 ] };
      app.mockSession(data);
      const first = await get('/mocked').expect(200);
      const second = await get('/mocked', cookieOf(first)).expect(200);
      assert.deepEqual(second.body.loaded, { userId: 'u-each', cart: [ 1 ] });
      assert.equal(second.body.session.visits, 1);
      assert.deepEqual(data, { userId: 'u-each', cart: [ 1 ] }, 'the mocked object is left as it was');
    });

    it('regenerate() and maxAge work on a mocked session', async () => {
      app.mockSession({ userId: 'u-regen' });
      const res = await get('/regenerate').expect(200);
      assert.deepEqual(res.body.session, { userId: 'u-regen', regenerated: true });
      if (store) assert.deepEqual(res.body.sessions.map((s: { id: string }) => s.id), [ res.body.current ], 'saved under its new id');
      const maxAge = await get('/max-age').expect(200);
      assert.deepEqual(maxAge.body, { maxAge: 60_000 });
      assert.equal(findCookie(maxAge)?.attrs['max-age'], '60');
    });

    it('a mocked user is signed in for session control: app.sessions.destroyAll revokes it, and a later mock signs in again', async () => {
      app.mockSession({ userId: 'u-revoke' });
      const cookie = cookieOf(await get('/mocked').expect(200));
      if (store) assert.equal((await control.list('u-revoke')).length, 1, 'listed');
      const { destroyed } = await control.destroyAll('u-revoke');
      assert.equal(destroyed, store ? 1 : 0);
      if (store) assert.deepEqual(await control.list('u-revoke'), []);
      // the revocation outlives no mock: the next mocked request is a new sign-in
      const again = await get('/mocked').expect(200);
      assert.deepEqual(again.body.loaded, { userId: 'u-revoke' });
      if (store) assert.equal((await control.list('u-revoke')).length, 1);
      mm.restore();
      const revoked = await get('/get', cookie).expect(200);
      assert.deepEqual(revoked.body.session, {}, 'the session signed in before destroyAll is gone');
      assert.deepEqual((await get('/get', cookieOf(again)).expect(200)).body.session, { userId: 'u-revoke', visits: 1 });
    });

    it('"log out everywhere" from a mocked request revokes the earlier ones', async () => {
      app.mockSession({ userId: 'u-everywhere' });
      const earlier = cookieOf(await get('/mocked').expect(200));
      const res = await get('/log-out-everywhere').expect(200);
      assert.equal(res.body.destroyed, store ? 1 : 0);
      mm.restore();
      assert.deepEqual((await get('/get', earlier).expect(200)).body.session, {});
      if (store) assert.deepEqual(await control.list('u-everywhere'), []);
    });

    it('app.mockContext({ session }): ctx.session is a real session with that data, for that context and later requests until mm.restore()', async () => {
      const ctx = app.mockContext({ session: { userId: 'u-ctx', foo: 'bar' } }) as Context;
      assert.deepEqual(ctx.session.toJSON(), { userId: 'u-ctx', foo: 'bar' });
      ctx.session.visits = 1;
      await ctx.session.save();
      assert.match(String(ctx.response.get('set-cookie')), /EGG_SESS=/, 'saved to the response');
      assert.equal(ctx.flash('info', 'hi'), 1);
      assert.deepEqual(ctx.flash(), { info: [ 'hi' ] });
      if (store) assert.deepEqual((await ctx.sessions.list()).map(s => [ s.id, s.current ]), [ [ ctx.sessions.id, true ] ]);
      else assert.deepEqual(await ctx.sessions.list(), []);
      // as with @eggjs/mock's own mockContext, the mock holds for requests too
      assert.deepEqual((await get('/mocked').expect(200)).body.loaded, { userId: 'u-ctx', foo: 'bar' });
      mm.restore();
      assert.deepEqual((await get('/get').expect(200)).body.session, {});
      assert.deepEqual((app.mockContext() as Context).session.toJSON(), {});
    });

    it('a context made before the mock (the one @eggjs/mock\'s bootstrap reuses per test) reads the mocked session too', async () => {
      const first = app.mockContext() as Context;
      const again = app.mockContext({ session: { userId: 'u-reused' } }) as Context;
      assert.equal(again, first, '@eggjs/mock hands back the current context');
      assert.deepEqual(again.session.toJSON(), { userId: 'u-reused' });
    });

    it('app.mockRestore() ends a mock as mm.restore() does', async () => {
      app.mockSession({ userId: 'u-restore' });
      assert.deepEqual((await get('/get').expect(200)).body.session, { userId: 'u-restore' });
      await app.mockRestore();
      assert.deepEqual((await get('/get').expect(200)).body.session, {});
    });

    it('data no client could send fails at app.mockSession(), naming what is wrong', () => {
      assert.throws(() => app.mockSession({ userId: 'u1', save: true }), /mocked session .*plain object of JSON values.*"save":true/);
      assert.throws(() => app.mockSession([ 'u1' ]), /mocked session .*got \["u1"\]/);
    });
  });
}
