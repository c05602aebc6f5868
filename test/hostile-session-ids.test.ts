import assert from 'node:assert/strict';
import http from 'node:http';
import type { MockApplication } from '@eggjs/mock';
import type { Redis } from 'ioredis';
import { hostileIdCases, hostileSeed, type HostileIdCase } from './helpers/hostile.js';
import {
  CASE_HEADER, freshSessionProblems, getRaw, objectPrototypeSnapshot, recordSessionEvents, runHostileCases, setCookieValue,
} from './helpers/hostile-run.js';
import { bootApp, closeApp, redisClient } from './helpers/boot.js';
import { inspector } from './helpers/redis.js';
import { serve, type Served } from './helpers/http.js';
import { requireRedis, startRedisServer, type RedisServer } from './helpers/redis.js';

const CASES = 500;
const CONCURRENCY = 16;
const COOKIE = 'EGG_SESS';
const PREFIX = 'hd:';
const DESTROYED = 30;

describe('seeded hostile session ids against the Redis store (redis-app, own redis-server)', function () {
  this.timeout(60_000);
  const seed = hostileSeed();
  let server: RedisServer | undefined;
  let redis: Redis;
  let app: MockApplication;
  let served: Served;
  let port: number;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  before(async function () {
    if (!requireRedis(this)) return;
    server = await startRedisServer();
    redis = inspector(server.port);
    console.log(`      hostile seed ${seed} (replay with HOSTILE_SEED=${seed}); redis-server on port ${server.port}`);
    // the hostile-cookie routes on the Redis store
    app = await bootApp('redis', {
      keys: 'hd-redis-key',
      fixture: { routes: 'hostile' },
      // thousands of rejected ids are logged as [session][invalid] warnings: keep them in the log files only
      logger: { consoleLevel: 'NONE' },
      session: { store: 'redis', redis: { prefix: PREFIX } },
      redis: redisClient(server.port),
    });
    served = await serve(app.callback());
    port = Number(new URL(served.url).port);
  });
  after(async () => {
    agent.destroy();
    await served?.close();
    await closeApp(app);
    redis?.disconnect();
    await server?.stop();
  });

  /** Sessions created, then destroyed through the app (`ctx.session = null`). */
  async function destroyedIds(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = setCookieValue((await getRaw(agent, port, `/set?userId=u-${i}`, {})).setCookies, COOKIE);
      assert.ok(id, 'the app issued a session id');
      assert.equal(await redis.exists(PREFIX + id), 1);
      const bye = await getRaw(agent, port, '/logout', { cookie: `${COOKIE}=${id}` });
      assert.equal(bye.status, 200);
      assert.equal(await redis.exists(PREFIX + id), 0, 'destroyed in Redis');
      ids.push(id);
    }
    return ids;
  }

  async function plant(hostile: HostileIdCase): Promise<void> {
    if (hostile.stored !== undefined) await redis.set(PREFIX + hostile.id, hostile.stored, 'PX', 600_000);
    if (hostile.storedHash) {
      await redis.hset(PREFIX + hostile.id, hostile.storedHash);
      await redis.pexpire(PREFIX + hostile.id, 600_000);
    }
  }

  it(`answers ${CASES} hostile ids (destroyed, unknown, corrupt or expired values) with 2xx fresh sessions`, async () => {
    const destroyed = await destroyedIds(DESTROYED);
    const baseline = (await getRaw(agent, port, '/proto', {})).body;
    const prototypeBefore = objectPrototypeSnapshot();
    const keysBefore = await redis.dbsize();
    let planted = 0;
    const run = await runHostileCases(hostileIdCases(seed, CASES, { destroyed, users: [ 'u-0', 'u-1', 'u-2' ] }), CONCURRENCY, async hostile => {
      await plant(hostile);
      if (hostile.stored !== undefined || hostile.storedHash) planted++;
      const reply = await getRaw(agent, port, '/get', { cookie: `${COOKIE}=${hostile.id}`, [CASE_HEADER]: String(hostile.index) });
      return freshSessionProblems(reply, COOKIE, baseline);
    }, { seenEvents: recordSessionEvents(app) });
    console.log(`      ${CASES} cases in ${run.ms} ms; events ${JSON.stringify(run.totals)}`);
    console.log(`      by kind: ${run.summary}`);
    assert.deepEqual(run.failures.slice(0, 20), [], `${run.failures.length} of ${CASES} cases failed (seed ${seed})`);
    assert.deepEqual(run.totals, run.wanted);
    assert.ok(run.totals.missed > 200 && run.totals.invalid > 100 && run.totals.expired > 0, 'missed, invalid and expired cases ran');
    // no hostile request wrote a session: at most the planted keys are new, and no destroyed session came back
    assert.ok(await redis.dbsize() <= keysBefore + planted, 'a hostile request wrote to Redis');
    for (const id of destroyed) assert.equal(await redis.exists(PREFIX + id), 0, `destroyed session ${id} came back`);
    assert.equal(objectPrototypeSnapshot(), prototypeBefore, 'Object.prototype of the test process changed');
    assert.deepEqual((await getRaw(agent, port, '/proto', {})).body, baseline, 'Object.prototype seen by the app changed');
  });

  it('still serves genuine sessions after the hostile run', async () => {
    const id = setCookieValue((await getRaw(agent, port, '/set?userId=after', {})).setCookies, COOKIE);
    const reply = await getRaw(agent, port, '/get', { cookie: `${COOKIE}=${id}` });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body.session, { userId: 'after' });
    assert.equal(reply.body.isNew, false);
  });
});
