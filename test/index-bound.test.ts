import assert from 'node:assert/strict';
import type { MockApplication } from '@eggjs/mock';
import type { Redis } from 'ioredis';
import { bootApp, closeApp, redisClient, type AppConfig } from './helpers/boot.js';
import { serve, type Served } from './helpers/http.js';
import { inspector, requireRedis, startRedisServer, type RedisServer } from './helpers/redis.js';
import { Device } from './helpers/device.js';
import type { SessionControl } from '../index.js';

/** A user's index is bounded by default, and a "destroy all" runs as short scripts however many sessions it ends (issue 24). */
describe('the per-user index: bounded by default, destroyed in short batches', function () {
  this.timeout(120_000);
  let server: RedisServer | undefined;
  let redis: Redis;
  before(async function () {
    if (!requireRedis(this)) return;
    server = await startRedisServer();
    redis = inspector(server.port);
  });
  after(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  async function started(session: Record<string, unknown>): Promise<{ app: MockApplication; http: Served; control: SessionControl }> {
    const config: AppConfig = { keys: 'index-bound-key', fixture: { routes: 'app-data' }, session: { store: 'redis', ...session }, redis: redisClient(server!.port) };
    const app = await bootApp('redis', config);
    return { app, http: await serve(app.callback()), control: (app as unknown as { sessions: SessionControl }).sessions };
  }

  const signIns = async (url: string, user: string, count: number) => {
    const devices: Device[] = [];
    for (let i = 0; i < count; i++) {
      const device = new Device(url, `device-${i}`);
      assert.equal((await device.get(`/login?user=${user}`)).status, 200);
      devices.push(device);
    }
    return devices;
  };

  it('keeps 100 sessions per user by default: a sign-in beyond evicts the least recently used, signed out for good', async function () {
    if (!server) return this.skip();
    const { app, http, control } = await started({ redis: { prefix: 'bound-default:' } });
    try {
      const evicted: string[] = [];
      app.on('session:evicted', (event: { ref: string }) => evicted.push(event.ref));
      const devices = await signIns(http.url, 'many', 103);
      const listed = await control.list('many');
      assert.equal(listed.length, 100);
      assert.deepEqual(listed.map(s => s.userAgent).sort(), devices.slice(3).map(d => d.userAgent).sort());
      await new Promise(resolve => setImmediate(resolve));
      assert.equal(evicted.length, 3);
      for (const device of devices.slice(0, 3)) assert.deepEqual((await device.get('/get')).body.session, {}, `${device.userAgent} is signed out`);
      assert.equal((await devices[3].get('/get')).body.session.userId, 'many');
    } finally {
      await http.close();
      await closeApp(app);
    }
  });

  it('maxSessionsPerUser: 0 opts out; a "destroy all" of 1,100 sessions runs as scripts of at most 500 each and ends all of them', async function () {
    if (!server) return this.skip();
    const { app, http, control } = await started({ redis: { prefix: 'bound-none:' }, maxSessionsPerUser: 0 });
    try {
      const devices = await signIns(http.url, 'crowd', 1100);
      assert.equal((await control.list('crowd')).length, 1100);
      const monitor = await redis.monitor();
      const scripts: string[][] = [];
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (/^eval(sha)?$/i.test(args[0]) && args[3] === 'bound-none:{u:crowd}:sessions') scripts.push(args);
      });
      const { destroyed } = await control.destroyAll('crowd');
      await redis.echo('end');
      await new Promise(resolve => setTimeout(resolve, 200));
      monitor.disconnect();
      assert.equal(destroyed, 1100);
      assert.equal(scripts.length, 3, `one "destroy all" script and two drains of 500 at most: ${JSON.stringify(scripts.map(s => s.slice(0, 4)))}`);
      assert.equal(await redis.zcard('bound-none:{u:crowd}:sessions'), 0);
      for (const device of [ devices[0], devices[550], devices[1099] ]) assert.deepEqual((await device.get('/get')).body.session, {});
    } finally {
      await http.close();
      await closeApp(app);
    }
  });
});
