import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { SessionControl } from '../index.js';
import { Device } from './helpers/device.js';
import type { Served } from './helpers/http.js';
import { controlSuite } from './helpers/control-suite.js';
import { redisClient } from './helpers/boot.js';

const PREFIX = 'pfthrottle:';
const TOUCH_INTERVAL = 1500;

/**
 * Session control writes the per-user index on a save only when it says something new: saves of
 * a session that keeps its user, within `control.touchInterval` of the last index write, leave the
 * index alone (one Redis round trip less per request), as reads do.
 */
describe('session control: index writes on save are throttled like "last seen" touches', function () {
  const suite = controlSuite(port => ({
    keys: 'pf-throttle-app-key',
    fixture: { routes: 'throttle' },
    session: { store: 'redis', redis: { prefix: 'pfthrottle:' }, control: { touchInterval: 1500 } },
    // commands queue while Redis is away (ioredis' default offline queue)
    redis: redisClient(port, { enableOfflineQueue: undefined }),
  }));
  let http: Served;
  let redis: Redis;
  let control: SessionControl;
  before(() => ({ http, redis, control } = suite));

  it('a save with the same user within touchInterval keeps the entry; a shorter maxAge and a later save rewrite it', async function () {
    this.timeout(20_000);
    const phone = new Device(http.url, 'Phone/1.0');
    await phone.get('/login?user=alice');
    const [ signedIn ] = await control.list('alice');
    assert.equal(signedIn.userAgent, 'Phone/1.0');

    // the same session from another app version, right away: the data is saved, the index entry is not rewritten
    const sameSession = phone.clone('Phone/2.0');
    const res = await sameSession.get('/set?theme=dark');
    assert.equal(res.status, 200);
    assert.equal(res.sessionCookie, phone.sessionCookie, 'the same session id');
    assert.equal(JSON.parse(await redis.get(PREFIX + phone.sessionCookie) ?? '{}').theme, 'dark', 'the session was saved');
    const [ throttled ] = await control.list('alice');
    assert.ok(Date.now() - signedIn.lastSeenAt < TOUCH_INTERVAL, 'still within touchInterval (a slow machine would make this test meaningless)');
    assert.deepEqual(throttled, signedIn, 'index entry unchanged: no upsert');

    // a shorter lifetime must reach the index at once: it decides when the entry is pruned
    await sameSession.get('/max-age?value=60000');
    const [ shortened ] = await control.list('alice');
    assert.ok(shortened.expiresAt < signedIn.expiresAt, 'expiry moved in');
    assert.ok(Math.abs(shortened.expiresAt - (Date.now() + 70_000)) < 2000, `expires with the store entry (${shortened.expiresAt - Date.now()} ms)`);
    assert.equal(shortened.userAgent, 'Phone/2.0');

    // after touchInterval, a save rewrites the entry again
    await sleep(TOUCH_INTERVAL + 100);
    await phone.get('/set?theme=light');
    const [ later ] = await control.list('alice');
    assert.ok(later.lastSeenAt > shortened.lastSeenAt, 'last seen moved');
    assert.ok(later.expiresAt > shortened.expiresAt, 'expiry moved on');
    assert.equal(later.userAgent, 'Phone/1.0');
  });

  it('a save that signs another user in is indexed at once, under the new user only', async () => {
    const laptop = new Device(http.url, 'Laptop');
    await laptop.get('/login?user=bob');
    assert.equal((await control.list('bob')).length, 1);
    await laptop.get('/login?user=carol');
    assert.equal((await control.list('bob')).length, 0, 'left the previous user\'s index');
    const [ entry ] = await control.list('carol');
    assert.equal(entry.userAgent, 'Laptop');
  });
});
