import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { mm, type MockApplication } from '@eggjs/mock';
import type { Redis } from 'ioredis';
import { requireRedis, startRedisServer, type RedisServer } from './helpers/redis.js';
import { closeApp, commandCalls, get, inspector, serve, type Served } from './helpers/rd-http.js';

const PREFIX = 'rdapp:';

/** The stored JSON without session control's hidden metadata (`_created`, `_authAt`, see lib/control). */
function parseStored(json: string | null): Record<string, unknown> {
  const { _created, _authAt, ...rest } = JSON.parse(json!);
  return rest;
}

describe('redis store (standalone Redis, whole-object saves)', function () {
  let server: RedisServer;
  let app: MockApplication;
  let http: Served;
  let redis: Redis;

  before(async function () {
    if (!requireRedis(this)) return;
    server = await startRedisServer();
    process.env.RD_APP_REDIS_PORT = String(server.port);
    app = mm.app({ baseDir: 'rd-app' });
    await app.ready();
    http = await serve(app.callback());
    redis = inspector(server.port);
  });
  after(async () => {
    await http?.close();
    await closeApp(app);
    redis?.disconnect();
    await server?.stop();
  });
  afterEach(mm.restore);

  async function newSession(query = 'name=egg'): Promise<string> {
    const res = await get(http.url, `/set?${query}`);
    assert.equal(res.status, 200);
    assert.ok(res.sessionCookie, 'a session cookie is set');
    return res.sessionCookie!;
  }

  it('stores the session as JSON under prefix + id with PX = maxAge + 10 s, and reads it back', async () => {
    const id = await newSession();
    const stored = parseStored(await redis.get(PREFIX + id));
    assert.deepEqual(stored, { name: 'egg', _maxAge: 24 * 3600 * 1000 });
    const pttl = await redis.pttl(PREFIX + id);
    assert.ok(pttl > 24 * 3600 * 1000 && pttl <= 24 * 3600 * 1000 + 10_000, `pttl ${pttl}`);
    const res = await get(http.url, '/get', id);
    assert.deepEqual(res.body.session, { name: 'egg' });
    assert.equal(res.body.isNew, false);
    assert.equal(res.sessionCookie, undefined, 'an unchanged session sets no cookie');
  });

  it("gives browser-session cookies (maxAge 'session') the configured sessionTTL, never 'session'", async () => {
    const id = await newSession();
    const res = await get(http.url, '/max-age?value=session', id);
    assert.equal(res.status, 200);
    const stored = parseStored(await redis.get(PREFIX + id));
    assert.equal(stored._session, true);
    assert.equal(stored._maxAge, undefined);
    const pttl = await redis.pttl(PREFIX + id);
    assert.ok(pttl > 3590_000 && pttl <= 3600_000, `pttl ${pttl} should be redis.sessionTTL (1 h in this app)`);
    assert.deepEqual((await get(http.url, '/get', id)).body.session, { name: 'egg' });
  });

  it('refreshes the TTL with PEXPIRE, not SET, when a rolling request changes nothing', async () => {
    const id = await newSession();
    await redis.pexpire(PREFIX + id, 60_000);
    await redis.config('RESETSTAT');
    const res = await get(http.url, '/slow-touch', id);
    assert.equal(res.sessionCookie, id, 'rolling re-sends the cookie');
    const calls = await commandCalls(redis);
    assert.equal(calls.set, undefined, `no SET: ${JSON.stringify(calls)}`);
    assert.equal(calls.pexpire, 1);
    assert.ok(await redis.pttl(PREFIX + id) > 24 * 3600 * 1000, 'TTL refreshed to maxAge + 10 s');
  });

  it('a forced save of unchanged data sends PEXPIRE; a maxAge change rewrites the value', async () => {
    const id = await newSession();
    await redis.config('RESETSTAT');
    await get(http.url, '/save', id);
    let calls = await commandCalls(redis);
    assert.equal(calls.set, undefined, `no SET on save(): ${JSON.stringify(calls)}`);
    assert.equal(calls.pexpire, 1);

    // koa-session reports changed:false here too, but the stored `_maxAge` must change
    await redis.config('RESETSTAT');
    await get(http.url, '/max-age?value=5000', id);
    calls = await commandCalls(redis);
    assert.equal(calls.set, 1, `SET on maxAge change: ${JSON.stringify(calls)}`);
    assert.equal(parseStored(await redis.get(PREFIX + id))._maxAge, 5000);
    assert.ok(await redis.pttl(PREFIX + id) <= 15_000);
  });

  it('keeps a rolling session alive past its first expiry although only PEXPIRE refreshed it', async () => {
    const id = await newSession();
    await get(http.url, '/max-age?value=1500', id);
    // ~3 s of rolling requests: without the PTTL-derived `_expire` koa-session would see the
    // stored one (1.5 s after the last full write) and drop the session as expired
    for (let i = 0; i < 6; i++) {
      await sleep(500);
      const res = await get(http.url, '/slow-touch', id);
      assert.deepEqual(res.body.session, { name: 'egg' }, `request ${i} still has the session`);
    }
  });

  it('an idle session past maxAge is expired even though the key outlives it by 10 s', async () => {
    const id = await newSession();
    await get(http.url, '/max-age?value=300', id);
    await sleep(500);
    const res = await get(http.url, '/get', id);
    assert.equal(res.body.isNew, true);
    assert.deepEqual(res.body.session, {});
  });

  it('ctx.session = null deletes the key and clears the cookie', async () => {
    const id = await newSession();
    const res = await get(http.url, '/remove', id);
    assert.equal(res.sessionCookie, '');
    assert.equal(await redis.exists(PREFIX + id), 0);
  });

  it('regenerate moves the session to a new key', async () => {
    const id = await newSession('a=1&b=2');
    const res = await get(http.url, '/regenerate', id);
    const newId = res.sessionCookie!;
    assert.ok(newId && newId !== id);
    assert.equal(await redis.exists(PREFIX + id), 0);
    assert.deepEqual(parseStored(await redis.get(PREFIX + newId)), { a: '1', b: '2', _maxAge: 24 * 3600 * 1000 });
  });

  for (const [ label, write ] of [
    [ 'not JSON', (key: string) => redis.set(key, '{"name":', 'PX', 60_000) ],
    [ 'a JSON array', (key: string) => redis.set(key, '[1,2]', 'PX', 60_000) ],
    [ 'a JSON string', (key: string) => redis.set(key, '"egg"', 'PX', 60_000) ],
    [ 'a __proto__ payload', (key: string) => redis.set(key, '{"__proto__":{"admin":true}}', 'PX', 60_000) ],
    [ 'a hash with a bad field', (key: string) => redis.hset(key, 'name', 'not json') ],
    [ 'a list', (key: string) => redis.rpush(key, 'x') ],
  ] as const) {
    it(`treats ${label} in Redis as a missing session (session:missed, new session, no 500)`, async () => {
      const id = `corrupt-${label.replace(/\W/g, '')}`;
      await write(PREFIX + id);
      app.mockLog('coreLogger');
      const res = await get(http.url, '/set?fresh=1', id);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.session, { fresh: '1' });
      assert.ok(res.sessionCookie && res.sessionCookie !== id, 'a new session id');
      await sleep(20); // koa-session emits on setImmediate
      app.expectLog(new RegExp(`\\[session\\]\\[missed\\] key\\(${id}\\)`), 'coreLogger');
    });
  }

  it('reads sessions written by a hand-written store (JSON with _expire)', async () => {
    const id = 'handwritten-1';
    const now = Date.now();
    await redis.set(PREFIX + id, JSON.stringify({ user: 'old', _expire: now + 60_000, _maxAge: 60_000 }), 'PX', 70_000);
    const res = await get(http.url, '/get', id);
    assert.deepEqual(res.body.session, { user: 'old' });
  });

  it('does not resurrect a session destroyed while another request on it was running', async () => {
    const id = await newSession();
    const slow = get(http.url, '/slow-set?key=late&value=1&delay=300', id);
    await sleep(100);
    const removed = await get(http.url, '/remove', id);
    assert.equal(removed.status, 200);
    assert.equal((await slow).status, 200);
    assert.equal(await redis.exists(PREFIX + id), 0, 'the late write did not bring the session back');
  });

  it('does not resurrect it through the PEXPIRE path of an unchanged rolling request either', async () => {
    const id = await newSession();
    const slow = get(http.url, '/slow-touch?delay=300', id);
    await sleep(100);
    await get(http.url, '/remove', id);
    assert.equal((await slow).status, 200);
    assert.equal(await redis.exists(PREFIX + id), 0);
  });

  it('reports the store in the boot line', () => {
    app.expectLog(/\[egg-session-plus\] egg-session-plus@\S+ serving sessions, store: redis/, 'coreLogger');
  });
});
