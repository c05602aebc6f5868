import assert from 'node:assert/strict';
import { mm } from '@eggjs/mock';
import { requireRedis, startRedisServer, type RedisServer } from './helpers/redis.js';
import { closeApp, get, inspector, serve } from './helpers/rd-http.js';

async function bootError(baseDir: string): Promise<Error> {
  const app = mm.app({ baseDir, cache: false });
  try {
    await app.ready();
  } catch (error) {
    return error as Error;
  } finally {
    await closeApp(app).catch(() => undefined);
  }
  throw new Error(`${baseDir} booted, but it should have failed`);
}

describe('redis store: boot and client selection', () => {
  it("fails boot when store is 'redis' and @eggjs/redis is not enabled, saying how to enable it", async () => {
    const error = await bootError('rd-noplugin-app');
    assert.match(error.message, /config\.session\.store is 'redis' but the @eggjs\/redis plugin is not enabled/);
    assert.match(error.message, /config\/plugin\.js: `redis: \{ enable: true, package: '@eggjs\/redis' \}`/);
  });

  describe('with Redis', function () {
    let server: RedisServer;
    before(async function () {
      if (!requireRedis(this)) return;
      server = await startRedisServer();
      process.env.RD_CLIENTS_REDIS_PORT = String(server.port);
    });
    after(() => server?.stop());

    it('uses the client that config.session.redis.client names among config.redis.clients', async () => {
      const app = mm.app({ baseDir: 'rd-clients-app' });
      await app.ready();
      const http = await serve(app.callback());
      const db1 = inspector(server.port, 1);
      const db0 = inspector(server.port, 0);
      try {
        const id = (await get(http.url, '/set?x=1')).sessionCookie!;
        assert.ok(id);
        assert.equal(await db1.exists(`sess:${id}`), 1, 'written through the "sessions" client (db 1)');
        assert.equal(await db0.exists(`sess:${id}`), 0, 'not through the "cache" client (db 0)');
        assert.deepEqual((await get(http.url, '/get', id)).body, { x: '1' });
      } finally {
        db0.disconnect();
        db1.disconnect();
        await http.close();
        await closeApp(app);
      }
    });

    it('fails boot when several clients exist and none is named', async () => {
      const error = await bootError('rd-clients-ambiguous-app');
      assert.match(error.message, /config\.redis\.clients has several clients \(cache, sessions\)/);
      assert.match(error.message, /set config\.session\.redis\.client/);
    });

    it('fails boot when the named client does not exist', async () => {
      const error = await bootError('rd-clients-unknown-app');
      assert.match(error.message, /config\.session\.redis\.client 'sesions' is not in config\.redis\.clients \(has: cache, sessions\)/);
    });

    it('app.sessionStore set by the app wins over the built-in Redis store', async () => {
      const app = mm.app({ baseDir: 'rd-override-app' });
      await app.ready();
      const http = await serve(app.callback());
      const redis = inspector(server.port);
      try {
        const id = (await get(http.url, '/set?who=app')).sessionCookie!;
        const store = app.sessionStore as unknown as { name: string; sessions: Map<string, unknown> };
        assert.equal(store.name, 'app-map-store');
        assert.ok(store.sessions.has(id));
        assert.deepEqual(await redis.keys('rdoverride:*'), []);
        assert.deepEqual((await get(http.url, '/get', id)).body, { who: 'app' });
      } finally {
        redis.disconnect();
        await http.close();
        await closeApp(app);
      }
    });
  });
});
