import assert from 'node:assert/strict';
import { mm, type MockApplication } from '@eggjs/mock';
import { request, TestAgent } from '@eggjs/supertest';
import { assertCleared, cookieHeader, setCookie, setCookieLines, setCookiesNamed } from './helpers/cookies.js';
import { bootApp } from './helpers/boot.js';

const DAY_S = 24 * 3600;

describe('cookie sessions', () => {
  let app: MockApplication;
  before(async () => {
    app = await bootApp('cookie', { keys: 'fd-cookie-key', fixture: { routes: 'cookie-sessions' } });
  });
  after(() => app.close());
  afterEach(mm.restore);

  it('ctx.session.x = y keeps fields across requests in one sealed cookie, no .sig cookie', async () => {
    const agent = new TestAgent(app.callback());
    const first = await agent.get('/set?name=egg&lang=ts').expect(200);
    assert.deepEqual(first.body, { session: { name: 'egg', lang: 'ts' }, isNew: true });
    const cookie = setCookie(first);
    assert.match(cookie.value, /^v2\./);
    assert.ok(!cookie.value.includes('egg'), 'the value is sealed, not readable');
    assert.equal(cookie.attrs.httponly, true);
    assert.equal(cookie.attrs.path, '/');
    assert.equal(cookie.attrs['max-age'], String(DAY_S));
    assert.deepEqual(setCookiesNamed(first, 'EGG_SESS.sig'), []);

    const second = await agent.get('/set?lang=js').expect(200);
    assert.deepEqual(second.body, { session: { name: 'egg', lang: 'js' }, isNew: false });
    const read = await agent.get('/get').expect(200);
    assert.deepEqual(read.body.session, { name: 'egg', lang: 'js' });
    assert.equal(read.body.isNew, false);
  });

  it('isNew is true without a cookie and false with one', async () => {
    const fresh = await request(app.callback()).get('/get').expect(200);
    assert.equal(fresh.body.isNew, true);
    const set = await request(app.callback()).get('/set?a=1');
    const again = await request(app.callback()).get('/get').set('cookie', cookieHeader(set)).expect(200);
    assert.equal(again.body.isNew, false);
    assert.deepEqual(again.body.session, { a: '1' });
  });

  it('ctx.session = {...} replaces the whole session', async () => {
    const agent = new TestAgent(app.callback());
    await agent.get('/set?name=egg').expect(200);
    const replaced = await agent.get('/replace').expect(200);
    setCookie(replaced);
    const read = await agent.get('/get').expect(200);
    assert.deepEqual(read.body.session, { replaced: true });
  });

  it('ctx.session = null clears the cookie', async () => {
    const agent = new TestAgent(app.callback());
    await agent.get('/set?name=egg').expect(200);
    const removed = await agent.get('/remove').expect(200);
    assertCleared(setCookie(removed));
    const read = await agent.get('/get').expect(200);
    assert.deepEqual(read.body, { session: {}, isNew: true, maxAge: DAY_S * 1000 });
  });

  it('an empty, untouched or only-read session sets no cookie', async () => {
    const untouched = await request(app.callback()).get('/untouched').expect(200);
    assert.deepEqual(setCookieLines(untouched), []);
    const peek = await request(app.callback()).get('/peek').expect(200);
    assert.deepEqual(peek.body, { isNew: true, populated: false });
    assert.deepEqual(setCookieLines(peek), []);

    const set = await request(app.callback()).get('/set?a=1');
    const read = await request(app.callback()).get('/get').set('cookie', cookieHeader(set)).expect(200);
    assert.deepEqual(read.body.session, { a: '1' });
    assert.deepEqual(setCookieLines(read), [], 'an unchanged session is not re-sent');
  });

  it('ctx.session.maxAge = n sets the cookie lifetime and is kept for the next requests', async () => {
    const agent = new TestAgent(app.callback());
    await agent.get('/set?name=egg').expect(200);
    const res = await agent.get('/max-age?value=60000').expect(200);
    const cookie = setCookie(res);
    assert.equal(cookie.attrs['max-age'], '60');
    const expires = Date.parse(String(cookie.attrs.expires));
    assert.ok(Math.abs(expires - (Date.now() + 60000)) < 5000, `expires ${cookie.attrs.expires}`);
    const read = await agent.get('/get').expect(200);
    assert.equal(read.body.maxAge, 60000);
    assert.deepEqual(read.body.session, { name: 'egg' });
  });

  it("ctx.session.maxAge = 'session' sends a browser-session cookie (no expires, no max-age)", async () => {
    const agent = new TestAgent(app.callback());
    await agent.get('/set?name=egg').expect(200);
    const res = await agent.get('/max-age?value=session').expect(200);
    const cookie = setCookie(res);
    assert.ok(cookie.value);
    assert.equal(cookie.attrs.expires, undefined);
    assert.equal(cookie.attrs['max-age'], undefined);
    const read = await agent.get('/get').expect(200);
    assert.equal(read.body.maxAge, 'session');
    assert.deepEqual(read.body.session, { name: 'egg' });
    // a later change keeps it a browser-session cookie
    const changed = await agent.get('/set?name=js').expect(200);
    assert.equal(setCookie(changed).attrs.expires, undefined);
    assert.equal(setCookie(changed).attrs['max-age'], undefined);
  });

  it('save() writes the cookie even when nothing changed', async () => {
    const set = await request(app.callback()).get('/set?a=1');
    const saved = await request(app.callback()).get('/save').set('cookie', cookieHeader(set)).expect(200);
    const cookie = setCookie(saved);
    assert.notEqual(cookie.value, setCookie(set).value, 'a fresh IV per seal');
    const read = await request(app.callback()).get('/get').set('cookie', `EGG_SESS=${cookie.value}`).expect(200);
    assert.deepEqual(read.body.session, { a: '1' });
  });

  it('regenerate() sends a new ciphertext with the same data', async () => {
    const set = await request(app.callback()).get('/set?user=1');
    const res = await request(app.callback()).get('/regenerate').set('cookie', cookieHeader(set)).expect(200);
    assert.deepEqual(res.body.session, { user: '1' });
    const lines = setCookiesNamed(res, 'EGG_SESS');
    const last = lines[lines.length - 1];
    assert.ok(last.value && last.value !== setCookie(set).value);
    const read = await request(app.callback()).get('/get').set('cookie', `EGG_SESS=${last.value}`).expect(200);
    assert.deepEqual(read.body.session, { user: '1' });
  });
});

describe("config maxAge: 'session'", () => {
  let app: MockApplication;
  before(async () => {
    // a browser-session cookie: no Expires / Max-Age
    app = await bootApp('cookie', { keys: 'fd-session-cookie-key', fixture: { routes: 'cookie-sessions' }, session: { maxAge: 'session' } });
  });
  after(() => app.close());

  it('sends cookies without expires or max-age, and a per-session maxAge still wins', async () => {
    const agent = new TestAgent(app.callback());
    const res = await agent.get('/set?name=egg').expect(200);
    const cookie = setCookie(res);
    assert.equal(cookie.attrs.expires, undefined);
    assert.equal(cookie.attrs['max-age'], undefined);
    const read = await agent.get('/get').expect(200);
    assert.deepEqual(read.body, { session: { name: 'egg' }, isNew: false, maxAge: 'session' });

    const longer = await agent.get('/max-age?value=120000').expect(200);
    assert.equal(setCookie(longer).attrs['max-age'], '120');
  });
});

describe('rolling: true', () => {
  let app: MockApplication;
  before(async () => {
    app = await bootApp('cookie', { keys: 'fd-rolling-key', fixture: { routes: 'cookie-sessions' }, session: { rolling: true } });
  });
  after(() => app.close());

  it('re-sends the cookie with a fresh expiry on every request that reads the session', async () => {
    const set = await request(app.callback()).get('/set?name=egg').expect(200);
    const first = setCookie(set);
    const read = await request(app.callback()).get('/get').set('cookie', cookieHeader(set)).expect(200);
    assert.deepEqual(read.body.session, { name: 'egg' });
    const rolled = setCookie(read);
    assert.equal(rolled.attrs['max-age'], String(DAY_S));
    assert.notEqual(rolled.value, first.value);
    assert.ok(Date.parse(String(rolled.attrs.expires)) >= Date.parse(String(first.attrs.expires)));
    const again = await request(app.callback()).get('/get').set('cookie', `EGG_SESS=${rolled.value}`).expect(200);
    assert.deepEqual(again.body.session, { name: 'egg' });
  });

  it('still sets nothing for a request that never touches the session', async () => {
    const set = await request(app.callback()).get('/set?name=egg');
    const res = await request(app.callback()).get('/untouched').set('cookie', cookieHeader(set)).expect(200);
    assert.deepEqual(setCookieLines(res), []);
  });
});

describe('autoCommit: false', () => {
  let app: MockApplication;
  before(async () => {
    app = await bootApp('cookie', { keys: 'fd-manual-commit-key', fixture: { routes: 'cookie-sessions' }, session: { autoCommit: false } });
  });
  after(() => app.close());

  it('writes nothing until manuallyCommit()', async () => {
    const notCommitted = await request(app.callback()).get('/set?name=egg').expect(200);
    assert.deepEqual(setCookieLines(notCommitted), []);

    const committed = await request(app.callback()).get('/set-and-commit?name=egg').expect(200);
    setCookie(committed);
    const read = await request(app.callback()).get('/get').set('cookie', cookieHeader(committed)).expect(200);
    assert.deepEqual(read.body.session, { name: 'egg' });
  });
});
