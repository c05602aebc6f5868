import assert from 'node:assert/strict';
import { mm, type MockApplication } from '@eggjs/mock';
import { request, TestAgent } from '@eggjs/supertest';
import {
  assertCleared, CHROME_100, CHROME_120, cookieHeader, setCookie, setCookieLines, setCookiesNamed,
} from './helpers/cookies.js';
import { nextTicks } from './helpers/session-events.js';
import { bootApp, type AppConfig, type BootOptions } from './helpers/boot.js';

/** cookie-app serving routes/koa-session-options.js with `config` (keys named after the feature) for the current suite */
function useApp(feature: string, config: AppConfig = {}, options?: BootOptions): () => MockApplication {
  let app: MockApplication;
  before(async () => {
    app = await bootApp('cookie', { keys: `${feature}-key`, ...config, fixture: { routes: 'koa-session-options', ...config.fixture } }, options);
  });
  after(() => app.close());
  afterEach(mm.restore);
  return () => app;
}

describe('egg cookie options pass through to Set-Cookie', () => {
  const app = useApp('cookie-options', {
    // behind a TLS-terminating proxy: trust x-forwarded-proto
    proxy: true,
    // egg cookie options koa-session does not know: they must reach Set-Cookie untouched
    session: {
      sameSite: 'none', secure: true, partitioned: true, removeUnpartitioned: true, priority: 'high', domain: 'example.test', path: '/app',
    },
  });

  it('sameSite, secure, partitioned, removeUnpartitioned, priority, domain, path reach the header', async () => {
    const res = await request(app().callback()).get('/app/set?name=egg')
      .set('x-forwarded-proto', 'https')
      .set('user-agent', CHROME_120)
      .expect(200);
    const [ removal, cookie ] = setCookiesNamed(res, 'EGG_SESS');
    assert.ok(cookie, JSON.stringify(setCookieLines(res)));
    assert.match(cookie.value, /^v2\./);
    assert.deepEqual(
      { ...cookie.attrs, expires: undefined },
      {
        path: '/app', 'max-age': '86400', expires: undefined, domain: 'example.test', priority: 'high',
        samesite: 'none', secure: true, httponly: true, partitioned: true,
      },
    );
    // removeUnpartitioned: the unpartitioned cookie of the same name is cleared first
    assertCleared(removal);
    assert.equal(removal.attrs.partitioned, undefined);
    assert.equal(removal.attrs.domain, 'example.test');
    assert.equal(removal.attrs.path, '/app');

    const read = await request(app().callback()).get('/app/get')
      .set('x-forwarded-proto', 'https')
      .set('cookie', `EGG_SESS=${cookie.value}`)
      .expect(200);
    assert.deepEqual(read.body.session, { name: 'egg' });
  });

  it('secure: true over plain http is refused by egg rather than sent', async () => {
    app().mockLog();
    const res = await request(app().callback()).get('/app/set?name=egg').expect(500);
    assert.deepEqual(setCookiesNamed(res, 'EGG_SESS'), []);
  });
});

describe("sameSite: 'none' + partitioned (CHIPS) behind a proxy", () => {
  const app = useApp('chips', {
    proxy: true,
    // a cross-site (third-party) session cookie, partitioned per top-level site (CHIPS)
    session: { sameSite: 'none', partitioned: true },
  });

  it('x-forwarded-proto: https and Chrome 118+: SameSite=None; Secure; Partitioned', async () => {
    const agent = new TestAgent(app().callback());
    const res = await agent.get('/set?name=egg')
      .set('x-forwarded-proto', 'https')
      .set('user-agent', CHROME_120)
      .expect(200);
    assert.deepEqual(res.body, { secure: true });
    const cookie = setCookie(res);
    assert.equal(cookie.attrs.samesite, 'none');
    assert.equal(cookie.attrs.secure, true);
    assert.equal(cookie.attrs.partitioned, true);
    assert.equal(cookie.attrs.httponly, true);
    const read = await request(app().callback()).get('/get')
      .set('x-forwarded-proto', 'https')
      .set('cookie', cookieHeader(res))
      .expect(200);
    assert.deepEqual(read.body.session, { name: 'egg' });
  });

  it('an older Chrome gets SameSite=None without Partitioned (egg cookies decide per user agent)', async () => {
    const res = await request(app().callback()).get('/set?name=egg')
      .set('x-forwarded-proto', 'https')
      .set('user-agent', CHROME_100)
      .expect(200);
    const cookie = setCookie(res);
    assert.equal(cookie.attrs.samesite, 'none');
    assert.equal(cookie.attrs.secure, true);
    assert.equal(cookie.attrs.partitioned, undefined);
  });

  it('without the proxy header (plain http) neither SameSite=None nor Partitioned is sent', async () => {
    const res = await request(app().callback()).get('/set?name=egg').set('user-agent', CHROME_120).expect(200);
    assert.deepEqual(res.body, { secure: false });
    const cookie = setCookie(res);
    assert.equal(cookie.attrs.samesite, undefined);
    assert.equal(cookie.attrs.secure, undefined);
    assert.equal(cookie.attrs.partitioned, undefined);
  });
});

describe("egg's middleware options on the session middleware", () => {
  describe('ignore', () => {
    const app = useApp('ignore', { session: { ignore: '/public' } });

    it('no session cookie is read or written on ignored paths', async () => {
      const ignored = await request(app().callback()).get('/public/set?name=egg').expect(200);
      assert.deepEqual(setCookieLines(ignored), []);

      const set = await request(app().callback()).get('/set?name=egg').expect(200);
      const cookie = setCookie(set);
      const read = await request(app().callback()).get('/get').set('cookie', cookieHeader(set)).expect(200);
      assert.deepEqual(read.body.session, { name: 'egg' });
      const ignoredRead = await request(app().callback()).get('/public/get')
        .set('cookie', `EGG_SESS=${cookie.value}`).expect(200);
      assert.deepEqual(ignoredRead.body.session, { name: 'egg' }, 'ctx.session still reads the cookie lazily');
      assert.deepEqual(setCookieLines(ignoredRead), []);
    });
  });

  describe('enable: false', () => {
    const app = useApp('disabled', { session: { enable: false } });

    it('never commits a session', async () => {
      const res = await request(app().callback()).get('/set?name=egg').expect(200);
      assert.deepEqual(setCookieLines(res), []);
    });
  });
});

describe('encode/decode, valid, beforeSave', () => {
  const app = useApp('hooks', {}, { variant: 'hooks' });
  const UA = 'hooks-browser';

  it("the app's encode/decode win over the sealed format; beforeSave runs on every save", async () => {
    const set = await request(app().callback()).get('/set?name=egg').set('user-agent', UA).expect(200);
    const cookie = setCookie(set);
    assert.match(cookie.value, /^hex:[0-9a-f]+$/);
    const data = JSON.parse(Buffer.from(cookie.value.slice(4), 'hex').toString());
    assert.equal(data.name, 'egg');
    assert.equal(data.ua, UA);
    assert.equal(data.saves, 1);
    // a user codec is signed by egg's cookies as configured (signed: true by default)
    assert.equal(setCookiesNamed(set, 'EGG_SESS.sig').length, 1);

    const read = await request(app().callback()).get('/get').set('user-agent', UA)
      .set('cookie', cookieHeader(set)).expect(200);
    assert.deepEqual(read.body, { session: { name: 'egg', ua: UA, saves: 1 }, isNew: false });
    assert.deepEqual(setCookieLines(read), [], 'beforeSave runs only when the session is saved');

    const again = await request(app().callback()).get('/set?lang=ts').set('user-agent', UA)
      .set('cookie', cookieHeader(set)).expect(200);
    const saved = JSON.parse(Buffer.from(setCookie(again).value.slice(4), 'hex').toString());
    assert.equal(saved.saves, 2);
    assert.equal(saved.lang, 'ts');
  });

  it('valid() rejecting the data starts a new session and logs session:invalid', async () => {
    app().mockLog('coreLogger');
    const set = await request(app().callback()).get('/set?name=egg').set('user-agent', UA).expect(200);
    const read = await request(app().callback()).get('/get').set('user-agent', 'another-browser')
      .set('cookie', cookieHeader(set)).expect(200);
    assert.deepEqual(read.body, { session: {}, isNew: true });
    await nextTicks();
    app().expectLog(/\[session\]\[invalid\] key\(undefined\) value\(\{"name":"egg","ua":"hooks-browser","saves":1,/, 'coreLogger');
  });

  it('a decode that throws is a bad cookie (new session, session:invalid), not a 500', async () => {
    app().mockLog('coreLogger');
    // a correctly signed cookie that the app's decode cannot read
    const ctx = app().mockContext();
    ctx.cookies.set('EGG_SESS', 'garbage');
    const res = await request(app().callback()).get('/get').set('user-agent', UA)
      .set('cookie', cookieHeader({ headers: { 'set-cookie': ctx.response.get('set-cookie') } }))
      .expect(200);
    assert.deepEqual(res.body, { session: {}, isNew: true });
    await nextTicks();
    app().expectLog('[session][invalid] key(undefined) value("garbage")', 'coreLogger');
  });
});

describe('ContextStore and genid', () => {
  const app = useApp('context-store', {}, { variant: 'tenant-store' });

  it('builds the store per request from ctx and names sessions with genid (ids signed: a custom genid has no known shape)', async () => {
    const a = await request(app().callback()).get('/set?name=alice').set('x-tenant', 'acme').expect(200);
    const b = await request(app().callback()).get('/set?name=bob').set('x-tenant', 'globex').expect(200);
    const aKey = setCookie(a).value;
    const bKey = setCookie(b).value;
    const aCookies = `EGG_SESS=${aKey}; EGG_SESS.sig=${setCookie(a, 'EGG_SESS.sig').value}`;
    assert.match(aKey, /^acme\.[0-9a-f-]{36}$/);
    assert.match(bKey, /^globex\.[0-9a-f-]{36}$/);
    assert.equal(a.body.externalKey, aKey);

    const tenants = await request(app().callback()).get('/tenants').expect(200);
    assert.deepEqual(tenants.body.acme, [ aKey ]);
    assert.deepEqual(tenants.body.globex, [ bKey ]);

    const read = await request(app().callback()).get('/get').set('x-tenant', 'acme')
      .set('cookie', aCookies).expect(200);
    assert.deepEqual(read.body, { session: { name: 'alice' }, isNew: false, externalKey: aKey });
    // another tenant's store does not know the id
    const cross = await request(app().callback()).get('/get').set('x-tenant', 'globex')
      .set('cookie', aCookies).expect(200);
    assert.equal(cross.body.isNew, true);
    // the same id without its signature never reaches the store
    const unsigned = await request(app().callback()).get('/get').set('x-tenant', 'acme')
      .set('cookie', `EGG_SESS=${aKey}`).expect(200);
    assert.equal(unsigned.body.isNew, true);
  });
});

describe('externalKey (session id in a header) and prefix', () => {
  const app = useApp('external-key', { fixture: { store: 'map' }, session: { prefix: 'api:' } }, { variant: 'header-key' });

  it('sends and reads the prefixed id in x-session-id, never in a cookie', async () => {
    const set = await request(app().callback()).get('/set?name=api').expect(200);
    const id = set.headers['x-session-id'] as string;
    assert.match(id, /^api:[0-9a-f-]{36}$/);
    assert.deepEqual(setCookieLines(set), []);
    const store = app().sessionStore as unknown as { data: Map<string, { name: string }> };
    assert.equal(store.data.get(id)!.name, 'api');

    const read = await request(app().callback()).get('/get').set('x-session-id', id).expect(200);
    assert.deepEqual(read.body, { session: { name: 'api' }, isNew: false, externalKey: id });
    assert.deepEqual(setCookieLines(read), []);

    const noHeader = await request(app().callback()).get('/get').set('cookie', `EGG_SESS=${id}`).expect(200);
    assert.equal(noHeader.body.isNew, true, 'a cookie is not read');

    await request(app().callback()).get('/logout').set('x-session-id', id).expect(200);
    assert.equal(store.data.has(id), false);
  });
});
