import assert from 'node:assert/strict';
import { mm } from '@eggjs/mock';
import { bootCluster, redisClient } from './helpers/boot.js';
import { freePort, requireRedis, startRedisServer, type RedisServer } from './helpers/redis.js';
import { getOnNewConnection, type Reply } from './helpers/http.js';

type ClusterApp = ReturnType<typeof mm.cluster>;

describe('redis store across two egg workers (egg cluster mode)', function () {
  this.timeout(120_000);
  let server: RedisServer;
  let app: ClusterApp;
  let url: string;

  before(async function () {
    if (!requireRedis(this)) return;
    server = await startRedisServer();
    const port = await freePort();
    // the forked master and workers inherit NODE_OPTIONS (ts-node loader) and the config (EGG_APP_CONFIG)
    app = await bootCluster('redis', {
      keys: 'rd-workers-key',
      fixture: { routes: 'store-sessions' },
      session: { store: 'redis', redis: { prefix: 'rdworkers:' } },
      redis: redisClient(server.port),
    }, { workers: 2, port });
    url = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await app?.close();
    await server?.stop();
  });

  /** Sends `path` on new connections until a worker other than `notPid` answers (bounded). */
  async function fromOtherWorker(path: string, sessionId: string, notPid: number): Promise<Reply> {
    for (let i = 0; i < 40; i++) {
      const res = await getOnNewConnection(url, path, sessionId);
      assert.equal(res.status, 200);
      if (res.body.pid !== notPid) return res;
    }
    throw new Error(`40 requests all reached worker ${notPid}`);
  }

  it('reads through one worker a session written through the other, both ways', async () => {
    const written = await getOnNewConnection(url, '/set?cart=3');
    assert.equal(written.status, 200);
    const id = written.sessionCookie!;
    assert.ok(id);
    const writer = written.body.pid as number;

    const read = await fromOtherWorker('/get', id, writer);
    assert.notEqual(read.body.pid, writer);
    assert.deepEqual(read.body.session, { cart: '3' });

    // and back: the second worker changes it, the first sees the change
    const changed = await fromOtherWorker('/set?cart=4', id, writer);
    const reader = changed.body.pid as number;
    const back = await fromOtherWorker('/get', id, reader);
    assert.equal(back.body.pid, writer);
    assert.deepEqual(back.body.session, { cart: '4' });
    console.log('      workers: wrote on %d, read on %d, changed on %d, read back on %d', writer, read.body.pid, reader, back.body.pid);
  });
});
