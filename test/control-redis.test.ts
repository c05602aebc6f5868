import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { createRequire } from 'node:module';
import type { SessionControl } from '../index.js';
import { Device } from './helpers/device.js';
import type { Served } from './helpers/http.js';
import { controlApps } from './helpers/session-control-apps.js';
import { controlSuite, destroyedCount } from './helpers/control-suite.js';
import { describeSignInRules } from './helpers/sign-in-rules.js';
import { redisClient } from './helpers/boot.js';


// the hash slot function ioredis' Cluster client routes keys with
const calculateSlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;

const PREFIX = 'scapp:';
const DAY = 24 * 3600 * 1000;

describe('per-user session index (Redis store)', function () {
  const suite = controlSuite(controlApps.redis);
  let http: Served;
  let redis: Redis;
  let control: SessionControl;
  before(() => ({ http, redis, control } = suite));

  let nextUser = 100;
  /** a fresh user id per test, so tests do not see each other's sessions */
  const newUser = () => String(nextUser++);

  async function signIn(user: string, userAgent: string): Promise<Device> {
    const device = new Device(http.url, userAgent);
    const res = await device.get(`/login?user=${user}`);
    assert.equal(res.status, 200);
    assert.ok(device.sessionCookie, 'signed in: session cookie set');
    return device;
  }

  async function isSignedIn(device: Device, user: string): Promise<boolean> {
    const res = await device.get('/get');
    assert.equal(res.status, 200);
    return res.body.session.userId === user;
  }

  it('lists a user\'s sessions with created, signed in, last seen, expiry, IP and user agent', async () => {
    const user = newUser();
    const before = Date.now();
    const phone = await signIn(user, 'Phone/1.0');
    const laptop = await signIn(user, 'Laptop/2.0');
    await signIn(newUser(), 'Other/1.0');
    const sessions = await control.list(user);
    assert.equal(sessions.length, 2);
    assert.deepEqual(sessions.map(s => s.userAgent).sort(), [ 'Laptop/2.0', 'Phone/1.0' ]);
    for (const session of sessions) {
      assert.equal(session.userId, user);
      assert.match(session.id, /^[\w-]{22}$/);
      assert.ok(![ phone.sessionCookie, laptop.sessionCookie ].includes(session.id), 'the id is not the session cookie value');
      assert.ok(session.createdAt >= before && session.createdAt <= Date.now());
      assert.ok(session.signedInAt >= session.createdAt);
      assert.ok(session.lastSeenAt >= session.signedInAt);
      assert.ok(Math.abs(session.expiresAt - (session.lastSeenAt + DAY + 10_000)) < 50, 'expires with the store entry');
      assert.match(session.ip, /127\.0\.0\.1/);
    }
    assert.ok(sessions[0].lastSeenAt >= sessions[1].lastSeenAt, 'most recently seen first');
    // the index is keyed by user, not visible in the session data
    assert.deepEqual((await phone.get('/get')).body.session, { userId: user });
  });

  it('ctx.sessions.list() marks the current session; numeric user ids work too', async () => {
    const user = newUser();
    const phone = await signIn(user, 'Phone');
    const laptop = await signIn(user, 'Laptop');
    const res = await phone.get('/devices');
    assert.equal(res.body.sessions.length, 2);
    const current = res.body.sessions.filter((s: any) => s.current);
    assert.equal(current.length, 1);
    assert.equal(current[0].userAgent, 'Phone');
    assert.equal(current[0].id, res.body.current);
    assert.equal((await laptop.get('/devices')).body.sessions.find((s: any) => s.current).userAgent, 'Laptop');
    assert.equal((await control.list(Number(user))).length, 2);
    // a visitor without a user has no sessions to manage
    assert.deepEqual((await new Device(http.url).get('/devices')).body.sessions, []);
  });

  it('updates "last seen", IP and user agent of a session that was only read, at most once per touchInterval', async () => {
    const user = newUser();
    const phone = await signIn(user, 'Phone');
    const [ first ] = await control.list(user);
    await phone.get('/get');
    assert.equal((await control.list(user))[0].lastSeenAt, first.lastSeenAt, 'within touchInterval (200 ms): no write');
    await sleep(250);
    const upgraded = phone.clone('Phone/2.0');
    const res = await upgraded.get('/get');
    assert.equal(res.sessionCookie, undefined, 'the session itself was not saved');
    const [ touched ] = await control.list(user);
    assert.ok(touched.lastSeenAt > first.lastSeenAt, 'last seen moved');
    assert.equal(touched.userAgent, 'Phone/2.0');
    assert.equal(touched.expiresAt, first.expiresAt, 'a touch does not extend the session');
  });

  it('control.destroy(user, id) signs one device out; another user\'s id is refused', async () => {
    const user = newUser();
    const phone = await signIn(user, 'Phone');
    const laptop = await signIn(user, 'Laptop');
    const phoneId = (await control.list(user)).find(s => s.userAgent === 'Phone')!.id;
    assert.equal(await control.destroy(newUser(), phoneId), false, 'not that user\'s session');
    assert.equal(await isSignedIn(phone, user), true);
    assert.equal(await control.destroy(user, phoneId), true);
    assert.equal(await redis.exists(PREFIX + phone.cookies.get('EGG_SESS')), 0, 'the store entry is gone');
    assert.equal(await isSignedIn(phone, user), false);
    assert.equal(await isSignedIn(laptop, user), true);
    assert.deepEqual((await control.list(user)).map(s => s.userAgent), [ 'Laptop' ]);
    assert.equal(await control.destroy(user, phoneId), false, 'already gone');
  });

  it('ctx.sessions.destroyOthers(): "log out everywhere else" keeps only the current device', async () => {
    const user = newUser();
    const phone = await signIn(user, 'Phone');
    const laptop = await signIn(user, 'Laptop');
    const tablet = await signIn(user, 'Tablet');
    const stranger = await signIn(newUser(), 'Stranger');
    const res = await laptop.get('/devices/others');
    assert.deepEqual(destroyedCount(res.body), 2);
    assert.equal(await isSignedIn(laptop, user), true);
    assert.equal(await isSignedIn(phone, user), false);
    assert.equal(await isSignedIn(tablet, user), false);
    assert.equal((await stranger.get('/get')).body.session.userId !== undefined, true, 'other users are untouched');
    const left = await control.list(user);
    assert.deepEqual(left.map(s => s.userAgent), [ 'Laptop' ]);
    // the kept session goes on being saved and indexed
    await laptop.get('/set?theme=dark');
    assert.deepEqual((await laptop.get('/get')).body.session, { userId: user, theme: 'dark' });
    assert.equal((await control.list(user)).length, 1);
    // and the user can sign in again elsewhere
    const again = await signIn(user, 'Phone');
    assert.equal(await isSignedIn(again, user), true);
    assert.equal((await control.list(user)).length, 2);
  });

  it('the device kept by destroyOthers() stays signed in past touchInterval (when the revocation check runs again)', async () => {
    const user = newUser();
    const phone = await signIn(user, 'Phone');
    const laptop = await signIn(user, 'Laptop');
    await laptop.get('/devices/others');
    await sleep(300); // touchInterval 200: this process checks the session against the revocation again
    assert.equal(await isSignedIn(laptop, user), true);
    assert.equal(await isSignedIn(phone, user), false);
  });

  it('after regenerate(), ctx.sessions is the new session: destroyOthers() keeps it, list() marks it current', async () => {
    const user = newUser();
    const phone = await signIn(user, 'Phone');
    const laptop = await signIn(user, 'Laptop');
    const before = laptop.sessionCookie;
    const res = await laptop.get('/regenerate-then-others');
    assert.equal(res.body.destroyed, 1, 'the phone only');
    assert.ok(laptop.sessionCookie && laptop.sessionCookie !== before, 'a new id');
    assert.deepEqual(res.body.devices.map((d: any) => [ d.id, d.current ]), [ [ res.body.id, true ] ]);
    assert.equal(await isSignedIn(laptop, user), true);
    assert.equal(await isSignedIn(phone, user), false);
  });

  for (const [ path, how ] of [
    [ '/password-changed', 'destroyOthers(), then regenerate()' ],
    [ '/relogin-keeping-this', 'app.sessions.destroyAll(user, { except: [ this id ] }), then regenerate() and the user' ],
    [ '/relogin-everywhere', 'app.sessions.destroyAll(user), then regenerate() and the user' ],
  ]) {
    it(`${how} in one request: this device signs in on a new id, the others stay out`, async () => {
      const user = newUser();
      const phone = await signIn(user, 'Phone');
      const laptop = await signIn(user, 'Laptop');
      const before = laptop.sessionCookie;
      const res = await laptop.get(path);
      assert.equal(res.status, 200);
      assert.ok(laptop.sessionCookie && laptop.sessionCookie !== before, `a new id (Set-Cookie: ${JSON.stringify(res.sessionCookie)})`);
      assert.equal(await isSignedIn(laptop, user), true);
      await sleep(300);
      assert.equal(await isSignedIn(laptop, user), true, 'still after touchInterval');
      assert.equal(await isSignedIn(phone, user), false);
      assert.deepEqual((await control.list(user)).map(s => s.userAgent), [ 'Laptop' ]);
    });
  }

  it('a session whose index write failed at sign-in is refused right after destroyAll, not a touchInterval later', async () => {
    const user = newUser();
    const sessionsKey = `${PREFIX}{u:${user}}:sessions`;
    await redis.set(sessionsKey, 'not a sorted set'); // the index write fails (WRONGTYPE)
    const phone = await signIn(user, 'Phone');
    await redis.del(sessionsKey);
    assert.deepEqual(await control.list(user), [], 'not indexed');
    assert.equal(destroyedCount(await control.destroyAll(user)), 0);
    assert.equal(await isSignedIn(phone, user), false);
  });

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
        const slow = attacker.get(path);
        await sleep(100);
        await victim.get('/devices/all');
        assert.equal((await slow).status, 200);
        assert.equal(await isSignedIn(attacker, user), false, 'the device logged out while its request ran stays out');
        await sleep(300);
        assert.equal(await isSignedIn(attacker, user), false, 'also after touchInterval');
        assert.deepEqual(await control.list(user), []);
      });
    }

    it('by signing another device out (ctx.sessions.destroy(id)): the device that signed it out meanwhile stays in', async () => {
      const user = newUser();
      const attacker = await signIn(user, 'Stolen');
      const victim = await signIn(user, 'Victim');
      const victimId = (await control.list(user)).find(s => s.userAgent === 'Victim')!.id;
      const slow = attacker.get(`/slow-destroy?wait=400&id=${encodeURIComponent(victimId)}`);
      await sleep(100);
      assert.equal(destroyedCount((await victim.get('/devices/others')).body), 1);
      const res = await slow;
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { destroyed: false }, 'the index refused the signed-out caller');
      assert.equal(await isSignedIn(victim, user), true);
      assert.equal(await isSignedIn(attacker, user), false);
    });
  });


  describeSignInRules(suite, 'rules-store');

  it('ctx.sessions calls without a signed-in session answer 401, not 500', async () => {
    const visitor = new Device(http.url, 'Visitor');
    assert.equal((await visitor.get('/devices/others')).status, 401);
    assert.equal((await visitor.get('/devices/all')).status, 401);
  });

  it('ctx.sessions.destroy(id) signs out another device, or this one; destroyAll() everywhere', async () => {
    const user = newUser();
    const phone = await signIn(user, 'Phone');
    const laptop = await signIn(user, 'Laptop');
    const tablet = await signIn(user, 'Tablet');
    const { sessions } = (await laptop.get('/devices')).body;
    const phoneId = sessions.find((s: any) => s.userAgent === 'Phone').id;
    assert.deepEqual((await laptop.get(`/devices/destroy?id=${phoneId}`)).body, { destroyed: true });
    assert.equal(await isSignedIn(phone, user), false);
    const laptopId = sessions.find((s: any) => s.current).id;
    const own = await laptop.get(`/devices/destroy?id=${laptopId}`);
    assert.deepEqual(own.body, { destroyed: true });
    assert.equal(own.sessionCookie, '', 'destroying the current session clears its cookie');
    assert.equal(await isSignedIn(tablet, user), true);
    const res = await tablet.get('/devices/all');
    assert.deepEqual(destroyedCount(res.body), 1);
    assert.equal(res.sessionCookie, '');
    assert.equal(await isSignedIn(tablet, user), false);
    assert.deepEqual(await control.list(user), []);
  });

  it('control.destroyAll(user, { except }) from outside a request', async () => {
    const user = newUser();
    const phone = await signIn(user, 'Phone');
    const laptop = await signIn(user, 'Laptop');
    const keep = (await control.list(user)).find(s => s.userAgent === 'Laptop')!.id;
    const result = await control.destroyAll(user, { except: keep });
    assert.equal(result.destroyed, 1);
    assert.ok(Math.abs(result.revokedAt - Date.now()) < 1000);
    assert.equal(await isSignedIn(phone, user), false);
    assert.equal(await isSignedIn(laptop, user), true);
    // its own sign-in generation is older than the user's now: the index's (restamped) one keeps it once it is vetted again
    await sleep(300);
    assert.equal(await isSignedIn(laptop, user), true, 'also after touchInterval');
    assert.equal((await control.destroyAll(user)).destroyed, 1);
    assert.equal(await isSignedIn(laptop, user), false);
  });

  it('follows the session: sign-out unindexes it (data kept), logout and regenerate move or drop it', async () => {
    const user = newUser();
    const phone = await signIn(user, 'Phone');
    await phone.get('/set?cart=3');
    await phone.get('/sign-out');
    assert.deepEqual(await control.list(user), [], 'signed out: no longer listed');
    assert.deepEqual((await phone.get('/get')).body.session, { cart: '3' }, 'the session lives on');
    await phone.get(`/login?user=${user}`);
    assert.equal((await control.list(user)).length, 1, 'signing in again on the same session id works');

    const oldId = phone.sessionCookie!;
    await phone.get('/regenerate');
    assert.notEqual(phone.sessionCookie, oldId);
    const [ moved ] = await control.list(user);
    assert.equal((await phone.get('/devices')).body.current, moved.id, 'the index follows the new id');
    assert.equal((await control.list(user)).length, 1, 'the old id is gone from the index');

    await phone.get('/logout');
    assert.deepEqual(await control.list(user), []);
  });

  it('a user switch moves the session from one user\'s index to the other\'s', async () => {
    const alice = newUser();
    const bob = newUser();
    const device = await signIn(alice, 'Shared');
    await device.get(`/login?user=${bob}`);
    assert.deepEqual(await control.list(alice), []);
    assert.equal((await control.list(bob)).length, 1);
  });

  it('maxSessionsPerUser (3) evicts the oldest session when a fourth signs in', async () => {
    const user = newUser();
    const devices: Device[] = [];
    for (const name of [ 'One', 'Two', 'Three' ]) {
      devices.push(await signIn(user, name));
      await sleep(3);
    }
    // activity does not protect the oldest: eviction goes by creation time
    await devices[0].get('/set?active=1');
    const fourth = await signIn(user, 'Four');
    const listed = (await control.list(user)).map(s => s.userAgent).sort();
    assert.deepEqual(listed, [ 'Four', 'Three', 'Two' ]);
    assert.equal(await redis.exists(PREFIX + devices[0].sessionCookie), 0, 'the evicted session is destroyed');
    assert.equal(await isSignedIn(devices[0], user), false);
    for (const device of [ ...devices.slice(1), fourth ]) assert.equal(await isSignedIn(device, user), true);
    // refreshing an existing session is not a new one: no eviction
    await devices[1].get('/set?again=1');
    assert.equal((await control.list(user)).length, 3);
  });

  it('keeps one user\'s keys in one hash slot, with TTLs: expired entries vanish on their own', async () => {
    const user = newUser();
    await signIn(user, 'Phone');
    const laptop = await signIn(user, 'Laptop');
    const keys = (await redis.keys(`${PREFIX}{u:${user}}*`)).sort();
    assert.deepEqual(keys, [ `${PREFIX}{u:${user}}:meta`, `${PREFIX}{u:${user}}:sessions`, `${PREFIX}{u:${user}}:stamps` ]);
    assert.equal(new Set(keys.map(key => calculateSlot(key))).size, 1, 'one hash slot (Redis Cluster)');
    for (const key of keys) {
      const pttl = await redis.pttl(key);
      assert.ok(pttl > DAY && pttl <= DAY + 10_000, `${key} expires with its last session (pttl ${pttl})`);
    }
    // the laptop's entry reaches its expiry: the next index operation prunes it
    const laptopId = (await control.list(user)).find(s => s.userAgent === 'Laptop')!.id;
    await redis.zadd(`${PREFIX}{u:${user}}:sessions`, Date.now() - 1, laptopId);
    assert.deepEqual((await control.list(user)).map(s => s.userAgent), [ 'Phone' ]);
    assert.equal(await redis.hexists(`${PREFIX}{u:${user}}:meta`, laptopId), 0, 'its metadata went too');
    assert.ok(laptop.sessionCookie);
  });

  it('a user\'s index keys expire by themselves with the last session (no index operation needed)', async function () {
    this.timeout(30_000);
    const user = newUser();
    const device = await signIn(user, 'Short');
    await device.get('/max-age?value=300'); // the store keeps it 300 ms + koa-session's 10 s margin
    const [ entry ] = await control.list(user);
    assert.ok(entry.expiresAt - Date.now() <= 10_300);
    const keys = [ `${PREFIX}{u:${user}}:sessions`, `${PREFIX}{u:${user}}:meta`, `${PREFIX}{u:${user}}:stamps` ];
    await sleep(Math.max(0, entry.expiresAt - Date.now()) + 200);
    assert.equal(await redis.exists(...keys), 0, 'Redis dropped the index keys');
    assert.equal(await redis.exists(PREFIX + device.sessionCookie), 0, 'and the session');
  });

  it('flash messages work on Redis sessions', async () => {
    const device = new Device(http.url);
    await device.get('/flash/add?type=info&msg=stored');
    assert.deepEqual(JSON.parse((await redis.get(PREFIX + device.sessionCookie))!).$flash, { info: [ 'stored' ] });
    assert.deepEqual((await device.get('/flash/read?type=info')).body, { messages: [ 'stored' ] });
    assert.deepEqual((await device.get('/flash/read?type=info')).body, { messages: [] });
  });

  it('stores the hidden creation time with the session in Redis, not in its user data', async () => {
    const device = new Device(http.url);
    await device.get('/set?name=egg');
    const stored = JSON.parse((await redis.get(PREFIX + device.sessionCookie))!);
    assert.equal(typeof stored._created, 'number');
    const res = await device.get('/get');
    assert.deepEqual(res.body.session, { name: 'egg' });
    assert.equal(res.body.created, stored._created);
  });
});

describe('per-user session index with a short browser-session TTL (redis.sessionTTL under twice touchInterval)', function () {
  const suite = controlSuite(port => ({
    keys: 'sc-short-ttl-app-key', fixture: { routes: 'session-control' },
    session: { store: 'redis', redis: { prefix: 'scttl:', sessionTTL: 1000 }, control: { touchInterval: 3000 } },
    redis: redisClient(port),
  }));
  let http: Served;
  before(() => ({ http } = suite));

  it('a browser-session session in use is still signed out by destroyOthers() after its first TTL', async () => {
    const phone = new Device(http.url, 'Phone');
    await phone.get('/login?user=ttl-1');
    assert.equal((await phone.get('/max-age?value=session')).status, 200);
    await sleep(600);
    await phone.get('/set?step=1');
    await sleep(600); // past the first TTL (1 s): only the write at 0.6 s keeps the session alive
    const laptop = new Device(http.url, 'Laptop');
    await laptop.get('/login?user=ttl-1');
    assert.equal(destroyedCount((await laptop.get('/devices/others')).body), 1, 'the phone was found in the index');
    assert.equal((await phone.get('/get')).body.session.userId, undefined);
  });
});
