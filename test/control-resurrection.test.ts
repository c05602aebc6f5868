import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MockApplication } from '@eggjs/mock';
import { Redis } from 'ioredis';
import type { SessionControl } from '../index.js';
import { controlApps } from './helpers/session-control-apps.js';
import { bootApp, closeApp, type AppConfig } from './helpers/boot.js';
import { Device, whileHeld, type Reply } from './helpers/device.js';
import { serve, type Served } from './helpers/http.js';
import { destroyedCount } from './helpers/control-suite.js';
import { requireRedis, startRedisServer, type RedisServer } from './helpers/redis.js';


/**
 * Request A loads the session and is held (the route awaits a promise this test releases)
 * while `during()` destroys the session; then A finishes and commits its late write.
 */
function overlap(app: MockApplication, a: Device, path: string, during: () => Promise<void>): Promise<Reply> {
  return whileHeld(app, () => a.get(path), during);
}

interface Booted {
  app: MockApplication;
  http: Served;
  control: SessionControl;
}

async function boot(config: AppConfig): Promise<Booted> {
  const app = await bootApp('redis', config);
  const http = await serve(app.callback());
  return { app, http, control: (app as unknown as { sessions: SessionControl }).sessions };
}

describe('no resurrection: a late write of an in-flight request does not bring a destroyed session back', function () {
  let server: RedisServer;
  let redis: Redis;
  before(async function () {
    if (!requireRedis(this)) return;
    server = await startRedisServer();
    redis = new Redis({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: 1 });
  });
  after(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  let nextUser = 1;
  const newUser = () => `r${nextUser++}`;

  describe('Redis store', () => {
    let booted: Booted;
    const key = (device: Device) => `scapp:${device.sessionCookie}`;
    before(async function () {
      if (!server) return this.skip();
      booted = await boot(controlApps.redis(server.port));
    });
    after(async () => {
      await booted?.http.close();
      await closeApp(booted?.app);
    });

    async function signIn(user: string, userAgent: string): Promise<Device> {
      const device = new Device(booted.http.url, userAgent);
      await device.get(`/login?user=${user}`);
      return device;
    }

    it('ctx.session = null (log out) on the same session while A is in flight', async () => {
      const user = newUser();
      const a = await signIn(user, 'Tab A');
      const b = a.clone('Tab B');
      const storeKey = key(a);
      const res = await overlap(booted.app, a, '/hold', async () => {
        await b.get('/logout');
        assert.equal(await redis.exists(storeKey), 0, 'B destroyed it');
      });
      assert.equal(res.status, 200);
      assert.equal(await redis.exists(storeKey), 0, 'A\'s late write did not recreate it');
      assert.deepEqual(await booted.control.list(user), [], 'nor re-index it');
      assert.deepEqual((await a.get('/get')).body.session, {}, 'A\'s cookie leads nowhere');
    });

    it('"log out everywhere else" from another device while A is in flight', async () => {
      const user = newUser();
      const a = await signIn(user, 'Phone');
      const other = await signIn(user, 'Laptop');
      const storeKey = key(a);
      await overlap(booted.app, a, '/hold', async () => {
        assert.deepEqual(destroyedCount((await other.get('/devices/others')).body), 1);
      });
      assert.equal(await redis.exists(storeKey), 0);
      assert.deepEqual((await booted.control.list(user)).map(s => s.userAgent), [ 'Laptop' ]);
      assert.equal((await a.get('/get')).body.session.userId, undefined);
    });

    it('app.sessions.destroy(user, id) while A is in flight', async () => {
      const user = newUser();
      const a = await signIn(user, 'Phone');
      const [ { id } ] = await booted.control.list(user);
      await overlap(booted.app, a, '/hold', async () => {
        assert.equal(await booted.control.destroy(user, id), true);
      });
      assert.equal(await redis.exists(key(a)), 0);
      assert.deepEqual(await booted.control.list(user), []);
    });

    it('regenerate on the same session while A is in flight: the old id stays gone', async () => {
      const user = newUser();
      const a = await signIn(user, 'Tab A');
      const b = a.clone('Tab B');
      const oldKey = key(a);
      await overlap(booted.app, a, '/hold', async () => {
        await b.get('/regenerate');
      });
      assert.equal(await redis.exists(oldKey), 0, 'the old id was not written back');
      assert.notEqual(key(b), oldKey);
      assert.equal((await b.get('/get')).body.session.userId, user, 'the regenerated session lives');
      assert.deepEqual((await booted.control.list(user)).map(s => s.id), [ booted.control.idOf(b.sessionCookie!) ]);
    });

    it('a session without a user (the store\'s own check)', async () => {
      const a = new Device(booted.http.url);
      await a.get('/set?cart=1');
      const b = a.clone();
      await overlap(booted.app, a, '/hold', async () => {
        await b.get('/logout');
      });
      assert.equal(await redis.exists(key(a)), 0);
    });

    it('a request that only read the session (index touch) does not re-index it', async () => {
      const user = newUser();
      const a = await signIn(user, 'Phone');
      await sleep(250); // past touchInterval: A's request will touch the index
      await overlap(booted.app, a, '/hold-read', async () => {
        await booted.control.destroyAll(user);
      });
      assert.equal(await redis.exists(key(a)), 0);
      assert.deepEqual(await booted.control.list(user), []);
    });
  });

  describe('a hand-written store without an existence check (session control still refuses)', () => {
    let booted: Booted;
    const key = (device: Device) => `naive:${device.sessionCookie}`;
    before(async function () {
      if (!server) return this.skip();
      booted = await boot(controlApps.naiveStore(server.port));
    });
    after(async () => {
      await booted?.http.close();
      await closeApp(booted?.app);
    });

    it('a signed-in session destroyed meanwhile is destroyed again after the late write', async () => {
      const user = newUser();
      const a = new Device(booted.http.url, 'Phone');
      await a.get(`/login?user=${user}`);
      const other = new Device(booted.http.url, 'Laptop');
      await other.get(`/login?user=${user}`);
      await overlap(booted.app, a, '/hold', async () => {
        await other.get('/devices/others');
      });
      assert.equal(await redis.exists(key(a)), 0, 'the index tombstone refused it and the write was undone');
      assert.equal((await a.get('/get')).body.session.userId, undefined);
      assert.deepEqual((await booted.control.list(user)).map(s => s.userAgent), [ 'Laptop' ]);
    });

    it('a signed-in session logged out meanwhile (no "destroy all": only its tombstone tells) is destroyed again after the late write', async () => {
      const user = newUser();
      const a = new Device(booted.http.url, 'Tab A');
      await a.get(`/login?user=${user}`);
      const b = a.clone('Tab B');
      await overlap(booted.app, a, '/hold', async () => {
        await b.get('/logout');
        assert.equal(await redis.exists(key(a)), 0, 'B destroyed it');
      });
      assert.equal(await redis.exists(key(a)), 0, 'the index tombstone refused the late write and it was undone');
      assert.equal((await a.get('/get')).body.session.userId, undefined, 'A\'s cookie leads nowhere');
      assert.deepEqual(await booted.control.list(user), []);
    });

    it('(control) without a user to track, this store does resurrect: the overlap really happens', async () => {
      const a = new Device(booted.http.url);
      await a.get('/set?cart=1');
      const b = a.clone();
      await overlap(booted.app, a, '/hold', async () => {
        await b.get('/logout');
        assert.equal(await redis.exists(key(a)), 0);
      });
      assert.equal(await redis.exists(key(a)), 1, 'the plain SET wrote the destroyed session back');
    });
  });

  describe('cookie sessions', () => {
    let booted: Booted;
    before(async function () {
      if (!server) return this.skip();
      booted = await boot(controlApps.cookieRedis(server.port));
    });
    after(async () => {
      await booted?.http.close();
      await closeApp(booted?.app);
    });

    it('a late Set-Cookie from before "log out everywhere" is rejected when it comes back', async () => {
      const user = newUser();
      const a = new Device(booted.http.url, 'Phone');
      await a.get(`/login?user=${user}`);
      const res = await overlap(booted.app, a, '/hold', async () => {
        await booted.control.destroyAll(user);
      });
      assert.ok(res.sessionCookie, 'A\'s response still set its cookie (the browser keeps it)');
      const next = await a.get('/get');
      assert.deepEqual(next.body.session, {}, 'but the session it carries is revoked');
      assert.equal(next.sessionCookie, '');
    });
  });
});
