import assert from 'node:assert/strict';
import { createCipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { mm, type MockApplication } from '@eggjs/mock';
import { request } from '@eggjs/supertest';
import { bootApp } from './helpers/boot.js';
import { securityCookieApp } from './helpers/security.js';

/**
 * Cookie sessions (no store) against hostile cookies, over HTTP. Every app below is the one
 * securityCookieApp (cookie-app), configured per boot.
 */
/** securityCookieApp's config.keys: the first key signs and seals */
const APP_KEY = 'sec-cookie-key-1';

interface BootOptions {
  /** merged into config.session */
  session?: Record<string, unknown>;
  /** the table-driven user decode (variant 'decode-table') */
  decodeTable?: boolean;
}

const logs = new WeakMap<MockApplication, EventLog>();
/** The session events of an app booted by boot() */
const events = (app: MockApplication) => logs.get(app)!;

/** Boots securityCookieApp with `options`. */
async function boot(options: BootOptions = {}): Promise<MockApplication> {
  const { config, options: bootOptions } = securityCookieApp(options.session, { decodeTable: options.decodeTable });
  const app = await bootApp('cookie', config, bootOptions);
  logs.set(app, new EventLog(app));
  return app;
}

interface SetCookie { name: string; value: string; attrs: string[] }

function setCookies(res: { headers: Record<string, unknown> }): SetCookie[] {
  const header = res.headers['set-cookie'] as string[] | string | undefined;
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [ header ];
  return lines.map(line => {
    const [ pair, ...attrs ] = line.split(/; */);
    const eq = pair.indexOf('=');
    return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attrs: attrs.map(a => a.toLowerCase()) };
  });
}

/** The value the response sets for `name` ('' when it clears it), or undefined when it does not touch it. */
function cookieValue(res: { headers: Record<string, unknown> }, name = 'EGG_SESS'): string | undefined {
  return setCookies(res).find(cookie => cookie.name === name)?.value;
}

function requireCookie(res: { headers: Record<string, unknown> }, name = 'EGG_SESS'): string {
  const value = cookieValue(res, name);
  assert.ok(value, `expected a Set-Cookie for ${name}, got ${JSON.stringify(res.headers['set-cookie'])}`);
  return value;
}

function get(app: MockApplication, path: string, cookie?: string) {
  const req = request(app.callback()).get(path);
  if (cookie) req.set('Cookie', cookie);
  return req;
}

const SESSION_EVENTS = [ 'session:invalid', 'session:expired', 'session:missed' ];

/**
 * Every session event the app emits, in order. koa-session emits on setImmediate, after the
 * response may already be sent, so a test marks where it starts and waits for what follows.
 */
class EventLog {
  readonly seen: { event: string; path: string }[] = [];

  constructor(app: MockApplication) {
    for (const event of SESSION_EVENTS) {
      app.on(event, (payload: { ctx?: { path?: string } }) => this.seen.push({ event, path: String(payload.ctx?.path) }));
    }
  }

  mark(): number {
    return this.seen.length;
  }

  /** The first `event` after `mark`, waiting up to `ms` for it. */
  async expect(event: string, mark: number, ms = 1000): Promise<{ event: string; path: string }> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.seen.slice(mark).find(entry => entry.event === event);
      if (found) return found;
      assert.ok(Date.now() < deadline, `no ${event} within ${ms} ms (saw ${JSON.stringify(this.seen.slice(mark))})`);
      await sleep(10);
    }
  }

  /** Fails when `event` came after `mark` (after giving setImmediate emits time to arrive). */
  async none(event: string, mark: number): Promise<void> {
    await sleep(50);
    const found = this.seen.slice(mark).filter(entry => entry.event === event);
    assert.deepEqual(found, [], `unexpected ${event}`);
  }
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** egg's signed-cookie signature (keygrip: url-safe base64 HMAC-SHA256 of `name=value`). */
function eggSignature(name: string, value: string, key = APP_KEY): string {
  return createHmac('sha256', key).update(`${name}=${value}`).digest('base64')
    .replace(/\/|\+|=/g, c => ({ '/': '_', '+': '-', '=': '' })[c]!);
}

const base64Json = (data: unknown) => Buffer.from(JSON.stringify(data)).toString('base64');

/** A cookie in the sealed format of the code before issue 14: `v1.` + base64url(iv | AES-256-GCM ciphertext | tag), no AAD. */
function sealV1(data: unknown, appKey = APP_KEY): string {
  const key = Buffer.from(hkdfSync('sha256', appKey, '', 'egg-session-plus/cookie/aes-256-gcm/v1', 32));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  const body = Buffer.concat([ iv, cipher.update(JSON.stringify(data), 'utf8'), cipher.final(), cipher.getAuthTag() ]);
  return 'v1.' + body.toString('base64url');
}

/** After a refused cookie: whatever session cookie the response wrote must not carry `userId` back. */
async function assertNoResealedUser(app: MockApplication, res: { headers: Record<string, unknown> }, name = 'EGG_SESS') {
  const written = cookieValue(res, name);
  if (!written) return;
  const next = await get(app, '/get', `${name}=${written}`).expect(200);
  assert.equal(next.body.session.userId, undefined, 'the cookie written in answer carries the forged userId');
}

describe('security: cookie sessions', () => {
  afterEach(mm.restore);

  describe('another egg-encrypted cookie replayed as the session cookie', () => {
    let app: MockApplication;
    let optIn: MockApplication;
    before(async () => {
      app = await boot();
      optIn = await boot({ session: { legacyEncryptedCookies: true } });
    });
    after(() => Promise.all([ app?.close(), optIn?.close() ]));

    /** The attacker makes the app encrypt `{"userId":"admin"}` in base64, @eggjs/session's encrypted format. */
    async function forgedRememberCookie(target: MockApplication): Promise<string> {
      const res = await get(target, '/remember?value=' + encodeURIComponent(base64Json({ userId: 'admin' }))).expect(200);
      return requireCookie(res, 'remember');
    }

    it('is refused by default: fresh session, session:invalid, no cookie carrying userId', async () => {
      const forged = await forgedRememberCookie(app);
      const invalid = events(app).mark();
      const res = await get(app, '/get', `EGG_SESS=${forged}`).expect(200);
      assert.equal(res.body.session.userId, undefined, 'the forged userId became the session');
      assert.deepEqual(res.body.session, {});
      assert.equal(res.body.isNew, true);
      await events(app).expect('session:invalid', invalid);
      await assertNoResealedUser(app, res);
    });

    it('is accepted with legacyEncryptedCookies: true (the documented opt-in) and re-sealed as v2.', async () => {
      const forged = await forgedRememberCookie(optIn);
      const res = await get(optIn, '/get', `EGG_SESS=${forged}`).expect(200);
      assert.deepEqual(res.body.session, { userId: 'admin' });
      assert.equal(res.body.isNew, false);
      const sealed = requireCookie(res);
      assert.match(sealed, /^v2\./);
      const next = await get(optIn, '/get', `EGG_SESS=${sealed}`).expect(200);
      assert.deepEqual(next.body.session, { userId: 'admin' });
    });

    it('a signed legacy cookie (base64 JSON + valid EGG_SESS.sig) is still accepted and re-sealed as v2.', async () => {
      const value = base64Json({ userId: 'legacy-user', name: 'old', _expire: Date.now() + 3600_000, _maxAge: 3600_000 });
      const noInvalid = events(app).mark();
      const res = await get(app, '/get', `EGG_SESS=${value}; EGG_SESS.sig=${eggSignature('EGG_SESS', value)}`).expect(200);
      assert.deepEqual(res.body.session, { userId: 'legacy-user', name: 'old' });
      assert.equal(res.body.isNew, false);
      await events(app).none('session:invalid', noInvalid);
      const sealed = requireCookie(res);
      assert.match(sealed, /^v2\./);
      const next = await get(app, '/get', `EGG_SESS=${sealed}`).expect(200);
      assert.deepEqual(next.body.session, { userId: 'legacy-user', name: 'old' });
      assert.equal(next.body.isNew, false);
    });
  });

  describe('sealed cookies are bound to their cookie name', () => {
    let app: MockApplication;
    let admin: MockApplication;
    before(async () => {
      app = await boot();
      admin = await boot({ session: { key: 'ADMIN_SESS' } });
    });
    after(() => Promise.all([ app?.close(), admin?.close() ]));

    it('a sealed EGG_SESS replayed as ADMIN_SESS (same config.keys) is a fresh session with session:invalid', async () => {
      const sealed = requireCookie(await get(app, '/set?userId=alice&role=user').expect(200));
      const invalid = events(admin).mark();
      const res = await get(admin, '/get', `ADMIN_SESS=${sealed}`).expect(200);
      assert.deepEqual(res.body.session, {}, 'the EGG_SESS session was accepted as ADMIN_SESS');
      assert.equal(res.body.isNew, true);
      await events(admin).expect('session:invalid', invalid);
      await assertNoResealedUser(admin, res, 'ADMIN_SESS');
    });

    it('under its own name a sealed cookie works, and it starts with v2.', async () => {
      const sealed = requireCookie(await get(app, '/set?userId=alice').expect(200));
      assert.match(sealed, /^v2\./);
      const back = await get(app, '/get', `EGG_SESS=${sealed}`).expect(200);
      assert.deepEqual(back.body.session, { userId: 'alice' });
      assert.equal(back.body.isNew, false);

      const adminSealed = requireCookie(await get(admin, '/set?userId=root').expect(200), 'ADMIN_SESS');
      assert.match(adminSealed, /^v2\./);
      const adminBack = await get(admin, '/get', `ADMIN_SESS=${adminSealed}`).expect(200);
      assert.deepEqual(adminBack.body.session, { userId: 'root' });
    });

    it('a v1. cookie (the pre-issue-14 format) sealed with the app key is refused', async () => {
      const v1 = sealV1({ userId: 'admin', _expire: Date.now() + 3600_000, _maxAge: 3600_000 });
      const invalid = events(app).mark();
      const res = await get(app, '/get', `EGG_SESS=${v1}`).expect(200);
      assert.deepEqual(res.body.session, {}, 'the v1 cookie was accepted');
      assert.equal(res.body.isNew, true);
      await events(app).expect('session:invalid', invalid);
      await assertNoResealedUser(app, res);
    });
  });

  describe('harmless nested keys', () => {
    let app: MockApplication;
    before(async () => {
      app = await boot();
    });
    after(() => app?.close());

    it('session.prefs = { constructor: 1, prototype: 2 } reads back as the same session', async () => {
      const cookie = requireCookie(await get(app, '/prefs').expect(200));
      const noInvalid = events(app).mark();
      const res = await get(app, '/get', `EGG_SESS=${cookie}`).expect(200);
      assert.deepEqual(res.body.session, { prefs: { constructor: 1, prototype: 2 } });
      assert.equal(res.body.isNew, false);
      await events(app).none('session:invalid', noInvalid);
    });

    it("ctx.flash('constructor', 'x') is read back on the next request", async () => {
      const added = await get(app, '/flash/add?type=constructor&msg=x').expect(200);
      assert.deepEqual(added.body, { count: 1 });
      const cookie = requireCookie(added);
      const read = await get(app, '/flash/read?type=constructor', `EGG_SESS=${cookie}`).expect(200);
      assert.deepEqual(read.body, { messages: [ 'x' ] });
    });

    it("ctx.flash('__proto__', 'x') throws a TypeError", async () => {
      const res = await get(app, '/flash/add?type=__proto__&msg=x').expect(200);
      assert.equal(res.body.isTypeError, true, `ctx.flash('__proto__') answered ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, 'TypeError');
    });
  });

  describe('a user decode returning something that is not session data', () => {
    let app: MockApplication;
    before(async () => {
      app = await boot({ decodeTable: true });
    });
    after(() => app?.close());

    /** The cookie the fixture's decode maps to `kind`, with egg's signature (signed: true is the default). */
    const signedCookie = (kind: string) => `EGG_SESS=${kind}; EGG_SESS.sig=${eggSignature('EGG_SESS', kind)}`;

    it('control: a plain object from decode is the session', async () => {
      const res = await get(app, '/get', signedCookie('ok')).expect(200);
      assert.deepEqual(res.body.session, { userId: 'decoded-user' });
      assert.equal(res.body.isNew, false);
    });

    for (const kind of [ 'tojson', 'save', 'date', 'map', 'array' ]) {
      it(`${kind}: 200, a fresh session and session:invalid`, async () => {
        const invalid = events(app).mark();
        const res = await get(app, '/get', signedCookie(kind));
        assert.equal(res.status, 200, `status ${res.status}: ${res.text.slice(0, 200)}`);
        assert.deepEqual(res.body.session, {});
        assert.equal(res.body.isNew, true);
        await events(app).expect('session:invalid', invalid);
      });
    }
  });

  describe("browser-session cookies (maxAge: 'session') get a server-checked idle lifetime", () => {
    let app: MockApplication;
    let absolute: MockApplication;
    before(async () => {
      // margins of several hundred ms: the machine may be loaded
      app = await boot({ session: { maxAge: 'session', sessionTTL: 1500 } });
      absolute = await boot({ session: { maxAge: 'session', sessionTTL: 3000, absoluteMaxAge: 2500 } });
    });
    after(() => Promise.all([ app?.close(), absolute?.close() ]));

    it('a cookie not rewritten for more than sessionTTL is a fresh session with session:expired', async () => {
      const first = await get(app, '/touch').expect(200);
      const cookie = requireCookie(first);
      assert.ok(!setCookies(first).find(c => c.name === 'EGG_SESS')!.attrs.some(a => a.startsWith('expires=')),
        `a browser-session cookie has no Expires: ${JSON.stringify(first.headers['set-cookie'])}`);
      // control: within the TTL it is the same session
      assert.equal((await get(app, '/get', `EGG_SESS=${cookie}`).expect(200)).body.isNew, false);
      await sleep(1800);
      const expired = events(app).mark();
      const res = await get(app, '/get', `EGG_SESS=${cookie}`).expect(200);
      assert.deepEqual(res.body.session, {}, 'an idle browser-session cookie outlived sessionTTL');
      assert.equal(res.body.isNew, true);
      await events(app).expect('session:expired', expired);
    });

    it('rewriting the cookie within sessionTTL renews it past the first TTL; idle after that, it expires', async () => {
      let cookie = requireCookie(await get(app, '/touch').expect(200));
      const started = Date.now();
      for (let count = 2; count <= 5; count++) {
        await sleep(400);
        const res = await get(app, '/touch', `EGG_SESS=${cookie}`).expect(200);
        assert.deepEqual(res.body, { count, isNew: false }, `renewal ${count - 1}`);
        cookie = requireCookie(res);
      }
      assert.ok(Date.now() - started > 1500, 'the renewals outlasted one sessionTTL');
      await sleep(1800);
      const expired = events(app).mark();
      const res = await get(app, '/touch', `EGG_SESS=${cookie}`).expect(200);
      assert.deepEqual(res.body, { count: 1, isNew: true });
      await events(app).expect('session:expired', expired);
    });

    it('absoluteMaxAge still ends a session that keeps being rewritten', async () => {
      let cookie = requireCookie(await get(absolute, '/touch').expect(200));
      const started = Date.now();
      for (let count = 2; count <= 4; count++) {
        await sleep(400);
        const res = await get(absolute, '/touch', `EGG_SESS=${cookie}`).expect(200);
        assert.deepEqual(res.body, { count, isNew: false });
        cookie = requireCookie(res);
      }
      // rewritten well within sessionTTL, but created more than absoluteMaxAge ago
      await sleep(Math.max(0, started + 2800 - Date.now()));
      const expired = events(absolute).mark();
      const res = await get(absolute, '/touch', `EGG_SESS=${cookie}`).expect(200);
      assert.deepEqual(res.body, { count: 1, isNew: true });
      await events(absolute).expect('session:expired', expired);
    });
  });
});
