import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MockApplication } from '@eggjs/mock';
import type { Redis } from 'ioredis';
import { Sealer, type SessionControl } from '../index.js';
import type { RedisServer } from './helpers/redis.js';
import { Device } from './helpers/device.js';
import type { Served } from './helpers/http.js';
import { controlApps } from './helpers/session-control-apps.js';
import { controlSuite, destroyedCount } from './helpers/control-suite.js';
import { describeSignInRules } from './helpers/sign-in-rules.js';
import { legacyData, signedLegacyCookie } from './helpers/security.js';
import { redisClient } from './helpers/boot.js';



async function getCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  return Number(/^cmdstat_hget:calls=(\d+)/m.exec(info)?.[1] ?? 0);
}

describe('revoking cookie sessions ("log out everywhere" without a session store)', function () {
  const suite = controlSuite(controlApps.cookieRedis);
  let server: RedisServer;
  let app: MockApplication;
  let http: Served;
  let redis: Redis;
  let control: SessionControl;
  before(() => ({ server, app, http, redis, control } = suite));

  let nextUser = 1;
  const newUser = () => `user-${nextUser++}`;

  async function signIn(user: string, userAgent = 'Browser'): Promise<Device> {
    const device = new Device(http.url, userAgent);
    await device.get(`/login?user=${user}`);
    assert.ok(device.sessionCookie);
    return device;
  }
  const userOf = async (device: Device) => (await device.get('/get')).body.session.userId;

  it('destroyAll rejects the user\'s cookie sessions signed in before it, clears their cookie, spares others', async () => {
    const user = newUser();
    const phone = await signIn(user, 'Phone');
    const laptop = await signIn(user, 'Laptop');
    const other = await signIn(newUser());
    const visitor = new Device(http.url);
    await visitor.get('/set?cart=2');
    const invalid: any[] = [];
    const onInvalid = (event: any) => invalid.push(event);
    app.on('session:invalid', onInvalid);
    try {
      const { destroyed, revokedAt } = await control.destroyAll(user);
      assert.equal(destroyed, 0, 'no store sessions to destroy');
      assert.ok(revokedAt <= Date.now());
      const res = await phone.get('/get');
      assert.deepEqual(res.body.session, {});
      assert.equal(res.body.isNew, true);
      assert.equal(res.sessionCookie, '', 'the revoked cookie is cleared');
      assert.equal(phone.sessionCookie, undefined);
      await sleep(10);
      assert.equal(invalid.length, 1, 'reported as session:invalid');
      assert.equal(invalid[0].value.userId, user);
      assert.equal(await userOf(laptop), undefined);
    } finally {
      app.removeListener('session:invalid', onInvalid);
    }
    assert.notEqual(await userOf(other), undefined, 'another user is untouched');
    assert.deepEqual((await visitor.get('/get')).body.session, { cart: '2' }, 'sessions without a user are untouched');
    // signing in again after the revocation works
    await phone.get(`/login?user=${user}`);
    assert.equal(await userOf(phone), user);
    assert.equal(await userOf(phone), user);
  });

  it('a copy of a revoked cookie (another tab, a thief) stays rejected after the user signs in again', async () => {
    const user = newUser();
    const victim = await signIn(user);
    const thief = victim.clone('Thief');
    await control.destroyAll(user);
    assert.equal(await userOf(victim), undefined);
    await victim.get(`/login?user=${user}`);
    assert.equal(await userOf(victim), user, 'the user signs in again');
    assert.equal(await userOf(thief), undefined, 'the old cookie is still revoked');
    assert.equal(thief.sessionCookie, undefined, 'and was cleared');
  });

  it('a session created before a revocation and signed in after it is kept: it carries the user\'s generation of its sign-in', async () => {
    const user = newUser();
    const device = new Device(http.url);
    await device.get('/set?cart=1'); // session created before the revocation
    await control.destroyAll(user);
    await device.get(`/login?user=${user}`);
    assert.deepEqual((await device.get('/get')).body.session, { cart: '1', userId: user });
    const opened = JSON.parse(new Sealer([ 'sc-cookie-redis-app-key' ], 'EGG_SESS').open(device.sessionCookie!)!.text);
    assert.equal(opened._gen, 1, 'stamped with the generation after the "destroy all"');
    // the sign-in moved it to a new session (regenerateOnSignIn): absoluteMaxAge counts from it
    assert.ok(opened._authAt >= opened._created);
  });

  it('ctx.sessions.destroyOthers() on a cookie session keeps this device and revokes the others', async () => {
    const user = newUser();
    const phone = await signIn(user, 'Phone');
    const laptop = await signIn(user, 'Laptop');
    const res = await laptop.get('/devices/others');
    assert.deepEqual(destroyedCount(res.body), 0);
    assert.ok(res.sessionCookie, 'this session is re-issued past the revocation');
    assert.equal(await userOf(phone), undefined);
    assert.equal(await userOf(laptop), user);
    assert.equal(await userOf(laptop), user);
    assert.deepEqual((await laptop.get('/devices')).body.sessions, [], 'cookie sessions are not listed');
  });

  for (const [ path, how ] of [
    [ '/password-changed', 'destroyOthers(), then regenerate()' ],
    [ '/relogin-everywhere', 'app.sessions.destroyAll(user), then regenerate() and the user' ],
  ]) {
    it(`${how} in one request: this device signs in anew, the others stay out`, async () => {
      const user = newUser();
      const phone = await signIn(user, 'Phone');
      const laptop = await signIn(user, 'Laptop');
      const before = laptop.sessionCookie;
      await sleep(5); // signed in strictly before the revocation
      const res = await laptop.get(path);
      assert.equal(res.status, 200);
      assert.ok(laptop.sessionCookie && laptop.sessionCookie !== before, 'a new cookie');
      assert.equal(await userOf(laptop), user);
      assert.equal(await userOf(phone), undefined);
    });
  }

  describe('a request in flight cannot escape a "log out everywhere" that another device ran meanwhile', () => {
    for (const [ path, how ] of [
      [ '/slow-others?wait=400', 'by calling destroyOthers()' ],
      [ '/slow-password-changed?wait=400', 'by destroyOthers() and regenerate() (the password-change pattern)' ],
      [ '/slow-revoke-other-user?wait=400&other=someone-else', 'by revoking another user and regenerating' ],
    ]) {
      it(how, async () => {
        const user = newUser();
        const attacker = await signIn(user, 'Stolen');
        const victim = await signIn(user, 'Victim');
        await sleep(5); // both signed in strictly before the revocation
        const slow = attacker.get(path);
        await sleep(100);
        await victim.get('/devices/all');
        assert.equal((await slow).status, 200);
        assert.equal(await userOf(attacker), undefined, 'the device revoked while its request ran stays out');
      });
    }
  });


  describeSignInRules(suite, 'rules-cookie');

  it('destroyOthers() from a session whose sign-in time is unknown (an @eggjs/session cookie), with no revocation before, keeps it', async () => {
    const user = newUser();
    const phone = await signIn(user, 'Phone');
    const laptop = new Device(http.url, 'Laptop');
    for (const pair of signedLegacyCookie([ 'sc-cookie-redis-app-key' ], legacyData({ userId: user })).split('; ')) {
      const at = pair.indexOf('=');
      laptop.cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    assert.equal(await userOf(laptop), user, 'the legacy cookie is accepted');
    await sleep(2); // the phone signed in strictly before the revocation
    const res = await laptop.get('/devices/others');
    assert.equal(res.status, 200);
    assert.equal(await userOf(laptop), user, 'this device stays signed in');
    assert.equal(await userOf(phone), undefined);
  });

  it('costs one Redis read per request only for cookie sessions that carry a user', async () => {
    const user = newUser();
    const signedIn = await signIn(user);
    const anonymous = new Device(http.url);
    await anonymous.get('/set?cart=1');
    const nobody = new Device(http.url);
    await redis.config('RESETSTAT');
    for (let i = 0; i < 5; i++) {
      await anonymous.get('/get');
      await nobody.get('/get');
      await anonymous.get('/untouched');
    }
    assert.equal(await getCalls(redis), 0, 'no read for sessions without a user, or without a cookie');
    for (let i = 0; i < 5; i++) await signedIn.get('/get');
    assert.equal(await getCalls(redis), 5, 'one HGET (the user\'s generation) per request of a signed-in cookie session');
  });

  it('keeps the user\'s generation for good (it never goes back, whatever lives), with the time of the last "destroy all"', async () => {
    const user = newUser();
    assert.equal(await redis.exists(`sccookie:{u:${user}}:revocation`), 0, 'nothing is stored before the first "destroy all"');
    await control.destroyAll(user);
    await control.destroyAll(user);
    const key = `sccookie:{u:${user}}:revocation`;
    assert.equal(await redis.hget(key, 'gen'), '2');
    assert.equal(await redis.pttl(key), -1, 'no TTL: an expired generation would start again at 0 under sessions stamped later');
    assert.ok(Math.abs((await control.revokedAt(user))! - Date.now()) < 1000);
  });

  it('with Redis down (onStoreError: fail): signed-in cookie requests get 503, others go on; recovers by itself', async () => {
    const user = newUser();
    const signedIn = await signIn(user);
    const anonymous = new Device(http.url);
    await anonymous.get('/set?cart=1');
    await server.stop();
    try {
      const res = await signedIn.get('/get');
      assert.equal(res.status, 503);
      assert.equal(signedIn.sessionCookie !== undefined, true, 'the cookie is kept');
      assert.deepEqual((await anonymous.get('/get')).body.session, { cart: '1' });
    } finally {
      await server.start();
    }
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await signedIn.get('/get')).status;
      if (status !== 200) await sleep(100);
    }
    assert.equal(await userOf(signedIn), user);
  });
});

describe('a route the session middleware skips (ignore), with session control on', function () {
  const suite = controlSuite(port => ({
    keys: 'sc-ignore-app-key', fixture: { routes: 'session-control' },
    session: { control: { enable: true }, redis: { prefix: 'scignore:' }, ignore: '/unguarded' },
    redis: redisClient(port),
  }));
  let http: Served;
  let control: SessionControl;
  before(() => ({ http, control } = suite));

  it('sees no signed-in cookie session: nothing checked it against "log out everywhere"', async () => {
    const device = new Device(http.url);
    await device.get('/login?user=ignored-1');
    assert.deepEqual((await device.get('/unguarded')).body.session, {});
    await device.get('/set?cart=1');
    await control.destroyAll('ignored-1');
    assert.deepEqual((await device.get('/unguarded')).body.session, {}, 'a revoked one neither');
    const writer = new Device(http.url);
    await writer.get('/login?user=ignored-2');
    const before = writer.sessionCookie;
    const write = await writer.get('/unguarded/write');
    assert.equal(write.sessionCookie, undefined, `no cookie written there: it would replace the real one`);
    assert.equal(writer.sessionCookie, before);
    assert.equal((await writer.get('/get')).body.session.userId, 'ignored-2');
    const visitor = new Device(http.url);
    await visitor.get('/set?cart=2');
    assert.deepEqual((await visitor.get('/unguarded')).body.session, { cart: '2' }, 'a session without a user is read as before');
  });
});

describe('revocation check with Redis down and onStoreError: anonymous', function () {
  const suite = controlSuite(controlApps.cookieRedisAnonymous);
  let server: RedisServer;
  let app: MockApplication;
  let http: Served;
  before(() => ({ server, app, http } = suite));

  it('runs the request with an empty session and does not overwrite the user\'s cookie', async () => {
    const device = new Device(http.url);
    await device.get('/login?user=anon-1');
    const cookie = device.sessionCookie;
    const errors: any[] = [];
    const onError = (event: any) => errors.push(event);
    app.on('session:error', onError);
    await server.stop();
    try {
      const res = await device.get('/set?written=while-down');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.session, { written: 'while-down' }, 'an empty session for this request');
      assert.equal(res.sessionCookie, undefined, 'no Set-Cookie that would replace the real session');
      assert.equal(device.sessionCookie, cookie);
      assert.ok(errors.some(e => e.operation === 'revocation check'), 'session:error reported');
    } finally {
      app.removeListener('session:error', onError);
      await server.start();
    }
    let user;
    for (let i = 0; i < 50 && user === undefined; i++) {
      user = (await device.get('/get')).body.session.userId;
      if (user === undefined) await sleep(100);
    }
    assert.equal(user, 'anon-1', 'signed in again once Redis is back');
  });

  for (const path of [ '/logout', '/flash/logout' ]) {
    it(`a logout while Redis is down still clears the cookie session: that needs no store (${path})`, async () => {
      const device = new Device(http.url);
      // a sign-in reads the user's generation: wait for Redis to be back from the test before
      for (let i = 0; i < 50 && !device.sessionCookie; i++) {
        await device.get(`/login?user=anon-${path.length}`);
        if (!device.sessionCookie) await sleep(100);
      }
      assert.ok(device.sessionCookie, 'signed in');
      await server.stop();
      try {
        const res = await device.get(path);
        assert.equal(res.status, 200);
        assert.equal(res.sessionCookie, '', 'the session cookie is cleared');
        assert.equal(device.sessionCookie, undefined);
      } finally {
        await server.start();
      }
      assert.deepEqual((await device.get('/get')).body.session, {}, 'signed out once Redis is back');
    });
  }
});

describe('destroyAll after app.sessionStore was replaced at runtime', function () {
  // the default touchInterval (60 s): the test must not wait for this process to forget the session
  const suite = controlSuite(port => ({
    keys: 'sc-swap-app-key', fixture: { routes: 'session-control' },
    session: { store: 'redis', redis: { prefix: 'scswap:' } },
    redis: redisClient(port),
  }));
  let app: MockApplication;
  let http: Served;
  let control: SessionControl;
  before(() => ({ app, http, control } = suite));

  it('a session left in the store the app switched away from is refused on its next request', async () => {
    const redisStore = app.sessionStore;
    const phone = new Device(http.url, 'Phone');
    await phone.get('/login?user=swap-1');
    assert.equal((await phone.get('/get')).body.session.userId, 'swap-1', 'seen by this process');
    const other = new Map<string, unknown>();
    app.sessionStore = { get: async (key: string) => other.get(key), set: async (key: string, value: unknown) => void other.set(key, value), destroy: async (key: string) => void other.delete(key) };
    try {
      const laptop = new Device(http.url, 'Laptop');
      await laptop.get('/login?user=swap-1');
      await control.destroyAll('swap-1');
    } finally {
      app.sessionStore = redisStore;
    }
    const res = await phone.get('/get');
    assert.deepEqual(res.body.session, {}, 'the phone is signed out at once, not after touchInterval');
  });
});
