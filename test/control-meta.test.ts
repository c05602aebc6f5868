import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MockApplication } from '@eggjs/mock';
import { Redis } from 'ioredis';
import { Sealer, type SessionControl } from '../index.js';
import { controlApps } from './helpers/session-control-apps.js';
import { bootApp, closeApp, type AppConfig, type BaseApp } from './helpers/boot.js';
import { Device } from './helpers/device.js';
import { serve, type Served } from './helpers/http.js';
import { requireRedis, startRedisServer } from './helpers/redis.js';

function hiddenKeys(data: Record<string, unknown>): string[] {
  return Object.keys(data).filter(key => key.startsWith('_'));
}

interface Setup {
  app: MockApplication;
  http: Served;
  /** the session as persisted (cookie opened / store value), by the device's cookie */
  persisted(device: Device): Promise<Record<string, any> | undefined>;
  close(): Promise<void>;
}

async function boot(base: BaseApp, config: AppConfig, persisted: (app: MockApplication, device: Device) => Promise<Record<string, any> | undefined>): Promise<Setup> {
  const app = await bootApp(base, config);
  const http = await serve(app.callback());
  return {
    app,
    http,
    persisted: device => persisted(app, device),
    async close() {
      await http.close();
      await closeApp(app);
    },
  };
}

/** The Redis store variant: its own redis-server, read back with a plain client. */
async function bootRedis(suite: Mocha.Context): Promise<Setup | undefined> {
  if (!requireRedis(suite)) return;
  const server = await startRedisServer();
  const redis = new Redis({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: 1 });
  let setup: Setup;
  try {
    setup = await boot('redis', controlApps.redisAbsolute(server.port), async (_app, device) => {
      const json = await redis.get(`scabs:${device.sessionCookie}`);
      return json ? JSON.parse(json) : undefined;
    });
  } catch (error) {
    redis.disconnect();
    await server.stop();
    throw error;
  }
  return {
    ...setup,
    async close() {
      await setup.close();
      redis.disconnect();
      await server.stop();
    },
  };
}

const fromCookie = (key: string) => async (_app: MockApplication, device: Device) => {
  const opened = new Sealer([ key ], 'EGG_SESS').open(device.sessionCookie!);
  return opened && JSON.parse(opened.text);
};
const fromStore = async (app: MockApplication, device: Device) =>
  await (app.sessionStore as any).get(device.sessionCookie!) as Record<string, any> | undefined;

const variants: { name: string; start(suite: Mocha.Context): Promise<Setup | undefined>; indexed?: boolean }[] = [
  { name: 'cookie sessions', start: () => boot('cookie', controlApps.cookie(), fromCookie('sc-cookie-app-key')) },
  { name: 'memory store sessions', start: () => boot('cookie', controlApps.memory(), fromStore) },
  { name: 'Redis store sessions', start: bootRedis, indexed: true },
];

for (const variant of variants) {
  describe(`session creation time, ${variant.name} (rolling)`, function () {
    let setup: Setup;
    before(async function () {
      setup = (await variant.start(this))!;
    });
    after(async () => {
      await setup?.close();
    });

    it('is stamped on a new session, persisted, and not part of the user data', async () => {
      const device = new Device(setup.http.url);
      const before = Date.now();
      const res = await device.get('/set?name=egg');
      assert.equal(res.status, 200);
      assert.ok(res.sessionCookie, 'session cookie set');
      const persisted = await setup.persisted(device);
      assert.ok(persisted, 'the session was persisted');
      assert.equal(typeof persisted._created, 'number');
      assert.ok(persisted._created >= before && persisted._created <= Date.now(), 'stamped at creation');
      const read = await device.get('/get');
      assert.deepEqual(read.body.session, { name: 'egg' }, 'toJSON() holds the user data only');
      assert.deepEqual(hiddenKeys(read.body.session), []);
      assert.equal(read.body.created, persisted._created, 'ctx.session._created is the persisted time');
    });

    it('survives rolling, changes, save() and a maxAge change; regenerate() (a sign-in) starts it over', async () => {
      const device = new Device(setup.http.url);
      await device.get('/set?name=egg');
      const created = (await setup.persisted(device))!._created;
      await sleep(5);
      for (const path of [ '/get', '/set?more=1', '/force-save', '/max-age?value=7200000', '/get' ]) {
        const res = await device.get(path);
        assert.equal(res.status, 200, path);
        assert.ok(res.sessionCookie, `${path}: rolling writes the session`);
        assert.equal((await setup.persisted(device))!._created, created, `${path} keeps the creation time`);
        assert.equal(res.body.created, created, `${path}: ctx.session._created`);
      }
      assert.deepEqual((await device.get('/get')).body.session, { name: 'egg', more: '1' });
      await sleep(5);
      await device.get('/regenerate');
      assert.ok((await setup.persisted(device))!._created > created, 'regenerate() starts the absolute timeout at sign-in (README)');
      assert.deepEqual((await device.get('/get')).body.session, { name: 'egg', more: '1' });
    });

    it('is kept when the app assigns the session anew (ctx.session = {...}): the same session, or absoluteMaxAge could be reset', async () => {
      const device = new Device(setup.http.url);
      await device.get('/set?name=egg');
      const created = (await setup.persisted(device))!._created;
      await sleep(5);
      await device.get('/replace');
      const replaced = await setup.persisted(device);
      assert.deepEqual(hiddenKeys(replaced!).includes('_created'), true);
      assert.equal(replaced!._created, created);
    });

    if (variant.indexed) {
      it('the per-user index lists the session as expiring at its absolute deadline', async () => {
        const device = new Device(setup.http.url);
        await device.get('/login?user=abs-1');
        const created = (await setup.persisted(device))!._created;
        const control = (setup.app as unknown as { sessions: SessionControl }).sessions;
        const [ entry ] = await control.list('abs-1');
        assert.equal(entry.createdAt, created);
        assert.equal(entry.expiresAt, created + 1500, 'not at the rolled-on maxAge (one day)');
      });
    }

    it('absoluteMaxAge rejects a session that rolling kept active, with session:expired', async () => {
      const device = new Device(setup.http.url);
      const expired: any[] = [];
      const onExpired = (event: any) => expired.push(event);
      setup.app.on('session:expired', onExpired);
      try {
        await device.get('/set?name=egg');
        const created = (await setup.persisted(device))!._created;
        // active every 300 ms: rolling alone (maxAge one day) would keep this session forever
        while (Date.now() - created < 1200) {
          const res = await device.get('/get');
          assert.deepEqual(res.body.session, { name: 'egg' }, 'still valid before absoluteMaxAge (1500 ms)');
          await sleep(300);
        }
        await sleep(Math.max(0, created + 1500 - Date.now()) + 50);
        const res = await device.get('/get');
        assert.deepEqual(res.body.session, {}, 'rejected after absoluteMaxAge');
        assert.equal(res.body.isNew, true);
        await sleep(20);
        assert.equal(expired.length, 1, 'session:expired emitted once');
        assert.equal(expired[0].value._created, created);
        assert.equal(expired[0].value._expire, created + 1500, '_expire shows the absolute deadline');
      } finally {
        setup.app.removeListener('session:expired', onExpired);
      }
    });
  });
}

describe('absoluteMaxAge, cookie sessions', () => {
  let setup: Setup;
  before(async () => {
    setup = await boot('cookie', controlApps.cookie(), fromCookie('sc-cookie-app-key'));
  });
  after(async () => {
    await setup?.close();
  });

  function cookieFor(data: Record<string, unknown>): string {
    return new Sealer([ 'sc-cookie-app-key' ], 'EGG_SESS').seal(JSON.stringify(data));
  }

  it('rejects a cookie created longer ago than absoluteMaxAge even with a fresh _expire', async () => {
    const device = new Device(setup.http.url);
    device.cookies.set('EGG_SESS', cookieFor({ name: 'old', _created: Date.now() - 10_000, _expire: Date.now() + 3600_000, _maxAge: 3600_000 }));
    const res = await device.get('/get');
    assert.deepEqual(res.body.session, {});
    assert.equal(res.body.isNew, true);
  });

  it('accepts a cookie within absoluteMaxAge, and one written before creation times existed (stamped on save)', async () => {
    const recent = new Device(setup.http.url);
    const created = Date.now() - 500;
    recent.cookies.set('EGG_SESS', cookieFor({ name: 'recent', _created: created, _expire: Date.now() + 3600_000, _maxAge: 3600_000 }));
    const res = await recent.get('/get');
    assert.deepEqual(res.body.session, { name: 'recent' });
    assert.equal(res.body.created, created);

    const legacy = new Device(setup.http.url);
    legacy.cookies.set('EGG_SESS', cookieFor({ name: 'legacy', _expire: Date.now() + 3600_000, _maxAge: 3600_000 }));
    const before = Date.now();
    const first = await legacy.get('/get');
    assert.deepEqual(first.body.session, { name: 'legacy' });
    const stamped = (await setup.persisted(legacy))!._created;
    assert.ok(stamped >= before, 'a session without a creation time gets one when it is saved');
  });
});

describe('absoluteMaxAge with renew (cookie sessions)', () => {
  let setup: Setup;
  before(async () => {
    setup = await boot('cookie', controlApps.renew(), fromCookie('sc-renew-app-key'));
  });
  after(async () => {
    await setup?.close();
  });

  it('renew extends the cookie, the creation time stays, absoluteMaxAge (3 s) ends it', async () => {
    const device = new Device(setup.http.url);
    await device.get('/set?name=egg');
    const first = (await setup.persisted(device))!;
    const created = first._created;
    let lastExpire = first._expire;
    // maxAge 2 s, renew when less than 1 s is left: renewed at ~1.1 s and ~2.2 s
    for (const at of [ 1100, 2200 ]) {
      await sleep(Math.max(0, created + at - Date.now()));
      const res = await device.get('/get');
      assert.deepEqual(res.body.session, { name: 'egg' }, `valid at ${at} ms`);
      assert.ok(res.sessionCookie, `renewed at ${at} ms`);
      const renewed = (await setup.persisted(device))!;
      assert.equal(renewed._created, created, 'renew keeps the creation time');
      assert.ok(renewed._expire > lastExpire, 'renew pushed _expire');
      lastExpire = renewed._expire;
    }
    await sleep(Math.max(0, created + 3100 - Date.now()));
    assert.ok(lastExpire > Date.now(), 'the renewed cookie itself has not expired');
    const res = await device.get('/get');
    assert.deepEqual(res.body.session, {}, 'rejected by absoluteMaxAge');
    assert.equal(res.body.isNew, true);
  });
});

