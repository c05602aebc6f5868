'use strict';
const assert = require('node:assert');
const mm = require('egg-mock');
const { get, sessionCookie } = require('./helpers/http');
const { requireRedis, startRedisServer } = require('./helpers/redis');

// How egg 3 apps test controllers (egg-mock 5): app.mockSession(data) and app.mockContext({ session }) go
// through the plugin's unittest extension (app/extend/application.unittest.js, an egg 3 shim), so ctx.session is real.
for (const { sessions, store } of [ { sessions: 'redis', store: true }, { sessions: 'cookie', store: false } ]) {
  describe(`egg 3, egg-mock 5: app.mockSession() and app.mockContext({ session }) through the plugin, ${store ? 'Redis store' : 'cookie sessions (session control on Redis)'}`, function() {
    this.timeout(30000);
    let server;
    let app;

    before(async function() {
      if (!requireRedis(this)) return;
      server = await startRedisServer();
      mm(process.env, 'EGG3_COMPAT_REDIS_PORT', String(server.port));
      mm(process.env, 'EGG3_MOCK_SESSIONS', sessions);
      app = mm.app({ baseDir: 'mock-app', cache: false });
      await app.ready();
      mm.restore();
    });
    // how an app's tests end their mocks
    afterEach(mm.restore);
    after(async () => {
      // egg-redis 2 leaves its client connected on close: it would keep reconnecting to the stopped server
      if (app) app.redis.disconnect();
      if (app) await app.close();
      if (server) await server.stop();
    });

    const cookieOf = res => {
      const value = sessionCookie(res);
      assert.ok(value, `a session cookie was set: ${JSON.stringify(res.headers['set-cookie'])}`);
      return `EGG_SESS=${value}`;
    };

    it('app.mockSession({ userId: \'u1\', foo: \'bar\' }): a route calling toJSON(), save(), ctx.flash() and ctx.sessions.list() answers 200 with the data', async () => {
      assert.strictEqual(app.plugins.session.package, 'egg-session-plus');
      app.mockSession({ userId: 'u1', foo: 'bar' });
      const res = await get(app, '/mocked').expect(200);
      assert.deepStrictEqual(res.body.loaded, { userId: 'u1', foo: 'bar' });
      assert.strictEqual(res.body.isNew, false);
      assert.deepStrictEqual(res.body.flash, { info: [ 'welcome back' ] });
      assert.deepStrictEqual(res.body.session, { userId: 'u1', foo: 'bar', visits: 1 });
      if (store) {
        assert.deepStrictEqual(res.body.sessions.map(s => [ s.id, s.current ]), [ [ res.body.current, true ] ], 'saved and indexed under its user');
        assert.strictEqual((await app.sessions.list('u1')).length, 1);
      } else {
        assert.deepStrictEqual(res.body.sessions, [], 'cookie sessions are not listed');
      }
      const cookie = cookieOf(res);
      mm.restore();
      assert.deepStrictEqual((await get(app, '/get', cookie).expect(200)).body.session, { userId: 'u1', foo: 'bar', visits: 1 },
        'a real session went out with the response');
    });

    it('the next test, without a mock, sees none of it', async () => {
      const res = await get(app, '/get').expect(200);
      assert.deepStrictEqual(res.body.session, {});
      assert.strictEqual(sessionCookie(res), undefined);
    });

    it('regenerate() works on a mocked session; every request starts from the mocked data', async () => {
      app.mockSession({ userId: 'u-regen' });
      assert.deepStrictEqual((await get(app, '/regenerate').expect(200)).body.session, { userId: 'u-regen', regenerated: true });
      const first = await get(app, '/mocked').expect(200);
      const second = await get(app, '/mocked', cookieOf(first)).expect(200);
      assert.deepStrictEqual(second.body.loaded, { userId: 'u-regen' });
    });

    it('a mocked user is signed in for session control: app.sessions.destroyAll revokes it', async () => {
      app.mockSession({ userId: 'u-revoke' });
      const cookie = cookieOf(await get(app, '/mocked').expect(200));
      if (store) assert.strictEqual((await app.sessions.list('u-revoke')).length, 1, 'listed');
      const { destroyed } = await app.sessions.destroyAll('u-revoke');
      assert.strictEqual(destroyed, store ? 1 : 0);
      if (store) assert.deepStrictEqual(await app.sessions.list('u-revoke'), []);
      mm.restore();
      assert.deepStrictEqual((await get(app, '/get', cookie).expect(200)).body.session, {}, 'revoked');
    });

    it('app.mockContext({ session }): ctx.session is a real session with that data', async () => {
      const ctx = app.mockContext({ session: { userId: 'u-ctx', foo: 'bar' } });
      assert.deepStrictEqual(ctx.session.toJSON(), { userId: 'u-ctx', foo: 'bar' });
      ctx.session.visits = 1;
      await ctx.session.save();
      assert.match(String(ctx.response.get('set-cookie')), /EGG_SESS=/);
      assert.strictEqual(ctx.flash('info', 'hi'), 1);
      assert.deepStrictEqual(ctx.flash(), { info: [ 'hi' ] });
      if (store) assert.deepStrictEqual((await ctx.sessions.list()).map(s => [ s.id, s.current ]), [ [ ctx.sessions.id, true ] ]);
      mm.restore();
      assert.deepStrictEqual((await get(app, '/get').expect(200)).body.session, {});
    });

    it('app.mockRestore() ends a mock; data no client could send fails at app.mockSession()', async () => {
      app.mockSession({ userId: 'u-restore' });
      assert.deepStrictEqual((await get(app, '/get').expect(200)).body.session, { userId: 'u-restore' });
      app.mockRestore();
      assert.deepStrictEqual((await get(app, '/get').expect(200)).body.session, {});
      assert.throws(() => app.mockSession({ save: true }), /mocked session .*plain object of JSON values/);
    });
  });
}
