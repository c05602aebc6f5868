import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MockApplication } from '@eggjs/mock';
import { requireRedis, startRedisServer, type RedisServer } from './helpers/redis.js';
import { bootApp, closeApp, redisClient, type AppConfig } from './helpers/boot.js';
import { get, serve, type Served } from './helpers/http.js';
import { refOf as sessionHandle } from '../lib/session-id.js';

/** Polls until `ready()` is true; bounded. */
async function waitUntil(ready: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  while (!ready()) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what} not within ${timeoutMs}ms`);
    await sleep(25);
  }
  return Date.now() - started;
}

async function timed<T>(work: Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work;
  return [ result, Math.round(performance.now() - started) ];
}

describe('outage policy against a real redis-server stopped and restarted by PID', function () {
  this.timeout(60_000);
  let server: RedisServer;

  before(async function () {
    if (!requireRedis(this)) return;
    // appendonly: the sessions written before the outage are still there after the restart
    server = await startRedisServer([ '--appendonly', 'yes', '--appendfsync', 'always' ]);
  });
  after(() => server?.stop());

  /** redis-app on the test's redis-server: `session` config, `client` options over the recommended ones */
  function serveApp(name: string, session: Record<string, unknown>, client?: Record<string, unknown>) {
    const state = {} as { app: MockApplication; http: Served };
    before(async () => {
      const config: AppConfig = {
        keys: `rd-outage-${name}-key`,
        fixture: { routes: 'store-sessions' },
        session: { store: 'redis', storeTimeout: 500, ...session },
        redis: redisClient(server.port, client),
      };
      state.app = await bootApp('redis', config);
      state.http = await serve(state.app.callback());
    });
    after(async () => {
      await state.http?.close();
      await closeApp(state.app);
    });
    return state;
  }

  async function restartAndWaitForClient(app: MockApplication): Promise<number> {
    await server.start();
    const client = Reflect.get(app, 'redis') as { status: string };
    return waitUntil(() => client.status === 'ready', 15_000, 'the app\'s Redis client reconnecting');
  }

  describe("onStoreError: 'fail' (ioredis enableOfflineQueue: false, maxRetriesPerRequest: 1)", () => {
    const state = serveApp('fail', { onStoreError: 'fail' });

    it('answers 503 at once while Redis is down, logs session:error, and works again after the restart', async () => {
      const { app, http } = state;
      const id = (await get(http.url, '/set?user=alice')).sessionCookie!;
      assert.ok(id);
      await server.stop();
      app.mockLog('coreLogger');

      const [ res, ms ] = await timed(get(http.url, '/get', id));
      assert.equal(res.status, 503);
      assert.match(String(res.body), /Session store unavailable/);
      assert.ok(ms < 200, `answered in ${ms}ms`);
      console.log('      measured: 503 during the outage in %d ms', ms);
      await sleep(20);
      // named by its reference (the id is a credential), as ctx.sessions.list() names it
      app.expectLog(new RegExp(`\\[session\\]\\[error\\] key\\(ref:${sessionHandle(id!)}\\) .*Stream isn't writeable`), 'coreLogger');

      // a new visitor whose request writes a session fails too; one that uses no session does not
      assert.equal((await get(http.url, '/set?x=1')).status, 503);
      assert.equal((await get(http.url, '/no-session')).status, 200);

      const reconnectMs = await restartAndWaitForClient(app);
      console.log('      measured: client ready %d ms after redis-server was restarted', reconnectMs);
      const back = await get(http.url, '/get', id);
      assert.equal(back.status, 200);
      assert.deepEqual(back.body.session, { user: 'alice' }, 'the session written before the outage is back');
    });
  });

  describe("onStoreError: 'anonymous'", () => {
    const state = serveApp('anon', { onStoreError: 'anonymous' });

    it('serves an empty, unsaved session without touching the session cookie, then the real one after the restart', async () => {
      const { app, http } = state;
      const id = (await get(http.url, '/set?user=bob')).sessionCookie!;
      assert.ok(id);
      await server.stop();
      app.mockLog('coreLogger');

      const [ res, ms ] = await timed(get(http.url, '/get', id));
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.session, {});
      assert.equal(res.sessionCookie, undefined, 'no Set-Cookie for the session cookie');
      console.log('      measured: anonymous 200 during the outage in %d ms', ms);

      // writing to the anonymous session neither reaches Redis nor overwrites the user's cookie
      const write = await get(http.url, '/set?user=mallory', id);
      assert.equal(write.status, 200);
      assert.equal(write.sessionCookie, undefined);
      // the signed-in user is unknown while the store is down: session control answers 503, as under 'fail'
      assert.equal((await get(http.url, '/others', id)).status, 503);
      const fresh = await get(http.url, '/set?visitor=1');
      assert.equal(fresh.status, 200);
      assert.equal(fresh.sessionCookie, undefined, 'a new visitor gets no cookie for a session that was not saved');
      await sleep(20);
      app.expectLog(new RegExp(`\\[session\\]\\[error\\] key\\(ref:${sessionHandle(id!)}\\)`), 'coreLogger');

      await restartAndWaitForClient(app);
      const back = await get(http.url, '/get', id);
      assert.equal(back.status, 200);
      assert.deepEqual(back.body.session, { user: 'bob' }, 'the real session, not the anonymous write');
    });
  });

  describe("onStoreError: 'fail' with ioredis defaults (offline queue on)", () => {
    const state = serveApp('defaults', { onStoreError: 'fail' },
      // ioredis defaults: commands queue while disconnected (offline queue, 20 retries per request)
      { enableOfflineQueue: undefined, maxRetriesPerRequest: undefined });

    it('still answers 503 after storeTimeout (500 ms) instead of hanging, and recovers', async () => {
      const { app, http } = state;
      const id = (await get(http.url, '/set?user=carol')).sessionCookie!;
      await server.stop();
      const [ res, ms ] = await timed(get(http.url, '/get', id));
      assert.equal(res.status, 503);
      assert.match(String(res.body), /timed out after 500ms/);
      assert.ok(ms >= 480 && ms < 1500, `answered in ${ms}ms`);
      console.log('      measured: 503 after %d ms with the offline queue on', ms);

      await restartAndWaitForClient(app);
      const back = await get(http.url, '/get', id);
      assert.equal(back.status, 200);
      assert.deepEqual(back.body.session, { user: 'carol' });
    });
  });
});
