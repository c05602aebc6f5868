import assert from 'node:assert/strict';
import { mm, type MockApplication } from '@eggjs/mock';
import { request, TestAgent } from '@eggjs/supertest';
import type { Redis } from 'ioredis';
import { inspector, requireRedis, startRedisServer, type RedisServer } from './helpers/redis.js';
import { bootExample } from './helpers/browser.js';

// The example app (`npm run example`) booted from its own directory (bootExample), on the plugin's TS source.
const REDIS_PREFIX = 'esp-example:sess:';

function csrfToken(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  assert.ok(token, 'the page must carry a _csrf field');
  return token;
}

function sessionCookie(res: { headers: Record<string, unknown> }): string | undefined {
  const cookies = (res.headers['set-cookie'] ?? []) as string[];
  return cookies.find(c => c.startsWith('EGG_SESS='));
}

function cookieValue(setCookie: string | undefined): string {
  return setCookie?.split(';')[0].slice('EGG_SESS='.length) ?? '';
}

async function logIn(agent: TestAgent, form: Record<string, string>, formPage = '/login') {
  const page = await agent.get(formPage).expect(200);
  return agent.post('/login').type('form').send({ _csrf: csrfToken(page.text), ...form });
}

describe('example app (cookie sessions)', () => {
  let app: MockApplication;
  before(async () => {
    app = await bootExample();
  });
  after(() => app.close());
  afterEach(mm.restore);

  it('sends anonymous visitors to the login form without creating a session', async () => {
    const agent = new TestAgent(app.callback());
    const res = await agent.get('/').expect(302).expect('location', '/login');
    assert.equal(sessionCookie(res), undefined);
  });

  it('rejects a login POST without the CSRF token', async () => {
    app.mockLog();
    const agent = new TestAgent(app.callback());
    await agent.get('/login').expect(200);
    await agent.post('/login').type('form').send({ name: 'alice', password: 'wonderland' }).expect(403);
    app.expectLog(/invalid csrf token/);
  });

  it('answers 401 with the form again for wrong credentials', async () => {
    const agent = new TestAgent(app.callback());
    const res = await logIn(agent, { name: 'alice', password: 'nope' });
    assert.equal(res.status, 401);
    assert.match(res.text, /Wrong username or password/);
    assert.equal(sessionCookie(res), undefined);
  });

  it('logs in, counts visits across requests, logs out through the real forms', async () => {
    const agent = new TestAgent(app.callback());
    const login = await logIn(agent, { name: 'alice', password: 'wonderland', remember: '1' });
    assert.equal(login.status, 302);
    assert.equal(login.headers.location, '/');
    assert.match(sessionCookie(login) ?? '', /^EGG_SESS=v2\.[^;]+;.*max-age=86400;.*httponly/i);

    const first = await agent.get('/').expect(200);
    assert.match(first.text, /Hello, alice/);
    assert.match(first.text, /<strong id="views">1<\/strong>/);
    assert.match(first.text, /class="notice info"[^>]*>Welcome, alice!</, 'the login flash shows once');
    const second = await agent.get('/').expect(200);
    assert.match(second.text, /<strong id="views">2<\/strong>/);
    assert.doesNotMatch(second.text, /Welcome, alice!/);

    const logout = await agent.post('/logout').type('form').send({ _csrf: csrfToken(second.text) });
    assert.equal(logout.status, 302);
    assert.equal(logout.headers.location, '/login');
    // the logged-in session is gone; the new cookie carries only the "logged out" flash
    assert.match(sessionCookie(logout) ?? '', /^EGG_SESS=v2\./);
    assert.notEqual(sessionCookie(logout), sessionCookie(login));
    const loggedOut = await agent.get('/login').expect(200);
    assert.match(loggedOut.text, /class="notice info"[^>]*>You are logged out\.</);
    await agent.get('/').expect(302).expect('location', '/login');
    const again = await agent.get('/login').expect(200);
    assert.doesNotMatch(again.text, /logged out/);
  });

  it('without "keep me logged in" sets a browser-session cookie (no expiry)', async () => {
    const agent = new TestAgent(app.callback());
    const login = await logIn(agent, { name: 'bob', password: 'builder' });
    assert.equal(login.status, 302);
    const cookie = sessionCookie(login) ?? '';
    assert.match(cookie, /^EGG_SESS=v2\./);
    assert.doesNotMatch(cookie, /expires=|max-age=/i);
    const home = await agent.get('/').expect(200);
    assert.match(home.text, /Hello, bob/);
  });

  it('explains that listing devices needs the Redis store', async () => {
    const agent = new TestAgent(app.callback());
    await agent.get('/devices').expect(302).expect('location', '/login');
    await logIn(agent, { name: 'alice', password: 'wonderland', remember: '1' });
    const home = await agent.get('/').expect(200);
    assert.match(home.text, /<a href="\/devices">Your devices<\/a>/);
    const devices = await agent.get('/devices').expect(200);
    assert.match(devices.text, /id="devices-unavailable"/);
    assert.match(devices.text, /SESSION_STORE=redis npm run example/);
    assert.doesNotMatch(devices.text, /Log out everywhere else/);
  });
});

describe('example app (SESSION_STORE=redis)', function () {
  let server: RedisServer;
  let app: MockApplication;
  let redis: Redis;

  before(async function () {
    if (!requireRedis(this)) return;
    server = await startRedisServer();
    app = await bootExample({ SESSION_STORE: 'redis', REDIS_URL: `redis://127.0.0.1:${server.port}` });
    redis = inspector(server.port);
  });
  after(async () => {
    await app?.close();
    redis?.disconnect();
    await server?.stop();
  });

  it('keeps the session in Redis, a new id at every login, the user gone from it at logout', async () => {
    const agent = new TestAgent(app.callback());
    const alice = await logIn(agent, { name: 'alice', password: 'wonderland', remember: '1' });
    assert.equal(alice.status, 302);
    const aliceId = cookieValue(sessionCookie(alice));
    assert.ok(aliceId, 'the cookie carries the session id');
    assert.equal(await redis.exists(`${REDIS_PREFIX}${aliceId}`), 1);

    const home = await agent.get('/').expect(200);
    assert.match(home.text, /Hello, alice[\s\S]*<strong id="views">1<\/strong>/);
    await agent.get('/').expect(200);
    assert.equal(JSON.parse((await redis.get(`${REDIS_PREFIX}${aliceId}`))!).views, 2);

    // logging in again (as someone else) regenerates: the old id is gone, not reused
    const bob = await logIn(agent, { name: 'bob', password: 'builder', remember: '1' }, '/');
    assert.equal(bob.status, 302);
    const bobId = cookieValue(sessionCookie(bob));
    assert.notEqual(bobId, aliceId);
    assert.equal(await redis.exists(`${REDIS_PREFIX}${aliceId}`), 0, 'the pre-login session is destroyed');
    assert.equal(await redis.exists(`${REDIS_PREFIX}${bobId}`), 1);
    const bobHome = await agent.get('/').expect(200);
    assert.match(bobHome.text, /Hello, bob/);

    const logout = await agent.post('/logout').type('form').send({ _csrf: csrfToken(bobHome.text) });
    assert.equal(logout.status, 302);
    // ctx.session = null, then ctx.flash() in the same request: koa-session re-creates the session under
    // the same id, so the stored entry is overwritten (no user in it any more) rather than deleted
    const afterLogout = JSON.parse((await redis.get(`${REDIS_PREFIX}${cookieValue(sessionCookie(logout))}`))!);
    assert.deepEqual(afterLogout.$flash, { info: [ 'You are logged out.' ] });
    assert.equal(afterLogout.userId, undefined, 'logout removes the user from the stored session');
    const loggedOut = await agent.get('/login').expect(200);
    assert.match(loggedOut.text, /You are logged out\./);
    await agent.get('/').expect(302).expect('location', '/login');
  });
  it('lists the user\'s devices and logs out everywhere else', async () => {
    const laptop = new TestAgent(app.callback());
    const phone = new TestAgent(app.callback());
    const laptopUA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
    const phoneUA = 'Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0';
    // as logIn(), with a user agent on every request
    const logInFrom = async (agent: TestAgent, userAgent: string) => {
      const form = await agent.get('/login').set('user-agent', userAgent).expect(200);
      const res = await agent.post('/login').set('user-agent', userAgent).type('form')
        .send({ _csrf: csrfToken(form.text), name: 'alice', password: 'wonderland', remember: '1' });
      assert.equal(res.status, 302);
    };
    await logInFrom(laptop, laptopUA);
    await logInFrom(phone, phoneUA);
    // someone else's session is not alice's device
    const bob = new TestAgent(app.callback());
    await logIn(bob, { name: 'bob', password: 'builder', remember: '1' });

    const page = await laptop.get('/devices').set('user-agent', laptopUA).expect(200);
    assert.match(page.text, /id="device-count">2</);
    const rows = page.text.match(/<tr class="device[^]*?<\/tr>/g) ?? [];
    assert.equal(rows.length, 2);
    assert.match(rows[0], /class="device current"[^]*Chrome 120 on Linux[^]*\(this device\)/);
    assert.match(rows[1], /Firefox 121 on Android/);
    assert.doesNotMatch(rows[1], /this device/);
    assert.match(rows[0], /<td>(::ffff:)?127\.0\.0\.1<\/td>/);

    const done = await laptop.post('/devices/logout-others').set('user-agent', laptopUA).type('form').send({ _csrf: csrfToken(page.text) });
    assert.equal(done.status, 302);
    assert.equal(done.headers.location, '/devices');
    const after = await laptop.get('/devices').set('user-agent', laptopUA).expect(200);
    assert.match(after.text, /Logged out 1 other device\./);
    assert.match(after.text, /id="device-count">1</);
    assert.match(after.text, /No other device is signed in\./);
    // the phone is logged out on its next request; bob is not touched
    await phone.get('/').expect(302).expect('location', '/login');
    await bob.get('/').expect(200);
  });

  it('answers the devices form with a 403 without the CSRF token', async () => {
    app.mockLog();
    const agent = new TestAgent(app.callback());
    await logIn(agent, { name: 'alice', password: 'wonderland', remember: '1' });
    await agent.post('/devices/logout-others').type('form').send({}).expect(403);
    app.expectLog(/invalid csrf token/);
  });

  it('serves a client without cookies through the X-Session-Id header (example/client.mjs)', async () => {
    // no agent: a client that keeps no cookies
    const agent = { get: (path: string) => request(app.callback()).get(path), post: (path: string) => request(app.callback()).post(path) };
    const login = await agent.post('/api/login').send({ name: 'alice', password: 'wonderland' }).expect(200);
    const id = login.headers['x-session-id'] as string;
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.equal(await redis.exists(`${REDIS_PREFIX}${id}`), 1);
    const me = await agent.get('/api/me').set('x-session-id', id).expect(200);
    assert.equal(me.body.userId, 1);
    assert.ok(me.body.signedInAt > 0);
    const out = await agent.post('/api/logout').set('x-session-id', id).send({}).expect(200);
    assert.equal(out.headers['x-session-id'], '', 'an empty header ends the session');
    assert.equal(await redis.exists(`${REDIS_PREFIX}${id}`), 0);
    assert.equal((await agent.get('/api/me').set('x-session-id', id).expect(200)).body.userId, null);
    // a browser's cookie is no ticket past CSRF on the API, nor is a form (a cross-site form POST carries no cookie)
    await agent.post('/api/login').set('cookie', 'a=b').send({ name: 'alice', password: 'wonderland' }).expect(403);
    await agent.post('/api/login').type('form').send({ name: 'alice', password: 'wonderland' }).expect(403);
  });
});
