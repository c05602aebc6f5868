import assert from 'node:assert/strict';
import { bootApp, bootError, closeApp, redisClient, type AppConfig } from './helpers/boot.js';
import { get, serve } from './helpers/http.js';
import { inspector, requireRedis, startRedisServer, type RedisServer } from './helpers/redis.js';

/** config.redis.clients: 'cache' (db 0) and 'sessions' (db 1) on the same redis-server */
function twoClients(port: number): AppConfig['redis'] {
  return {
    clients: {
      cache: { host: '127.0.0.1', port, password: '', db: 0 },
      sessions: { host: '127.0.0.1', port, password: '', db: 1 },
    },
  };
}

describe('redis store: boot and client selection', () => {
  it("fails boot when store is 'redis' and @eggjs/redis is not enabled, saying how to enable it", async () => {
    const error = await bootError('cookie', { keys: 'rd-noplugin-key', session: { store: 'redis' } });
    assert.match(error.message, /config\.session\.store is 'redis' but the @eggjs\/redis plugin is not enabled/);
    assert.match(error.message, /config\/plugin\.js: `redis: \{ enable: true, package: '@eggjs\/redis' \}`/);
  });

  describe('with Redis', function () {
    let server: RedisServer;
    before(async function () {
      if (!requireRedis(this)) return;
      server = await startRedisServer();
      });
    after(() => server?.stop());

    it('uses the client that config.session.redis.client names among config.redis.clients', async () => {
      const app = await bootApp('redis', {
        keys: 'rd-clients-key',
        session: { store: 'redis', redis: { client: 'sessions' } },
        redis: twoClients(server.port),
      });
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
      const error = await bootError('redis', { keys: 'rd-clients-ambiguous-key', session: { store: 'redis' }, redis: twoClients(server.port) });
      assert.match(error.message, /config\.redis\.clients has several clients \(cache, sessions\)/);
      assert.match(error.message, /set config\.session\.redis\.client/);
    });

    it('fails boot when the named client does not exist', async () => {
      const error = await bootError('redis', {
        keys: 'rd-clients-unknown-key', session: { store: 'redis', redis: { client: 'sesions' } }, redis: twoClients(server.port),
      });
      assert.match(error.message, /config\.session\.redis\.client 'sesions' is not in config\.redis\.clients \(has: cache, sessions\)/);
    });

    it('app.sessionStore set by the app wins over the built-in Redis store', async () => {
      // app.js sets app.sessionStore (stores.js 'app-map-store'), the upstream way of plugging a store in
      const app = await bootApp('redis', {
        keys: 'rd-override-key',
        fixture: { store: 'app-map-store' },
        session: { store: 'redis', redis: { prefix: 'rdoverride:' } },
        redis: redisClient(server.port, { enableOfflineQueue: undefined, maxRetriesPerRequest: undefined }),
      });
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
