import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MockApplication } from '@eggjs/mock';
import type { AppConfig, BaseApp } from './helpers/boot.js';
import { controlSuite } from './helpers/control-suite.js';
import { Device } from './helpers/device.js';
import type { Served } from './helpers/http.js';
import { controlApps } from './helpers/session-control-apps.js';

// ctx.sessions.signedInAt / signedInWithin(ms): when the session's user signed in, for "confirm your password" routes
const variants: { name: string; base: BaseApp; redis?: true; config(port: number): AppConfig }[] = [
  { name: 'cookie sessions, no session control', base: 'cookie', config: () => ({ keys: 'fresh-cookie-key', fixture: { routes: 'session-control' } }) },
  { name: 'Redis store with session control', base: 'redis', redis: true, config: controlApps.redis },
];

for (const variant of variants) {
  describe(`sign-in freshness, ${variant.name}`, function () {
    const suite = controlSuite(variant.config, { base: variant.base, redis: Boolean(variant.redis) });
    let app: MockApplication;
    let http: Served;
    before(() => ({ app, http } = suite));

    const fresh = async (device: Device, within: number) => (await device.get(`/fresh?within=${within}`)).body as { signedInAt: number | null; fresh: boolean };

    it('an anonymous session has no sign-in time and is never fresh', async () => {
      const device = new Device(http.url);
      assert.deepEqual(await fresh(device, 60_000), { signedInAt: null, fresh: false });
      await device.get('/set?theme=dark');
      assert.deepEqual(await fresh(device, 60_000), { signedInAt: null, fresh: false });
    });

    it('gives the time the user signed in, kept across requests; fresh only within the given ms; regenerate() (a re-authentication) renews it', async () => {
      const device = new Device(http.url);
      const before = Date.now();
      await device.get('/login?user=fresh-1');
      const { signedInAt } = await fresh(device, 60_000);
      assert.ok(signedInAt !== null && signedInAt >= before && signedInAt <= Date.now(), `signedInAt ${signedInAt}`);
      await sleep(30);
      assert.deepEqual(await fresh(device, 60_000), { signedInAt, fresh: true });
      assert.deepEqual(await fresh(device, 10), { signedInAt, fresh: false });
      await device.get('/set?theme=dark');
      assert.deepEqual(await fresh(device, 60_000), { signedInAt, fresh: true });
      // "confirm your password", then the login pattern for the same user: fresh again
      await sleep(20);
      await device.get('/login-regenerate?user=fresh-1');
      const renewed = await fresh(device, 60_000);
      assert.ok(renewed.signedInAt! > signedInAt!, `${renewed.signedInAt} > ${signedInAt}`);
      assert.equal(renewed.fresh, true);
    });

    it('a sign-in as another user starts a new sign-in time; signing out ends it', async () => {
      const device = new Device(http.url);
      await device.get('/login?user=fresh-2');
      const first = (await fresh(device, 60_000)).signedInAt!;
      await sleep(20);
      await device.get('/login?user=fresh-3');
      const second = (await fresh(device, 60_000)).signedInAt!;
      assert.ok(second > first, `${second} > ${first}`);
      await device.get('/sign-out');
      assert.deepEqual(await fresh(device, 60_000), { signedInAt: null, fresh: false });
    });

    it('an `_authAt` the app (or a client through it) sets on ctx.session is ignored', async () => {
      const device = new Device(http.url);
      await device.get('/login?user=fresh-4');
      const { signedInAt } = await fresh(device, 60_000);
      await sleep(60);
      const forged = await device.get('/forge-auth-at?within=50');
      assert.deepEqual(forged.body, { signedInAt, fresh: false }, 'in the request that set it');
      assert.deepEqual(await fresh(device, 50), { signedInAt, fresh: false }, 'after it was saved');
    });

    it('signedInWithin() without a usable number of ms is the app\'s error, named', async () => {
      const device = new Device(http.url);
      await device.get('/login?user=fresh-5');
      for (const within of [ 'soon', '-1' ]) {
        const res = await device.get(`/fresh?within=${within}`);
        assert.equal(res.status, 500);
      }
      // mockCtxStorage false: a context left in egg's async storage would be the log prefix of later tests' requests
      const ctx = app.mockContext({}, { mockCtxStorage: false });
      assert.throws(() => (ctx as any).sessions.signedInWithin(Number.NaN), /ctx\.sessions\.signedInWithin\(ms\) takes a non-negative number of milliseconds/);
    });
  });
}
