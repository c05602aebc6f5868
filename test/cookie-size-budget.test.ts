import assert from 'node:assert/strict';
import { mm, type MockApplication } from '@eggjs/mock';
import { request, TestAgent } from '@eggjs/supertest';
import type { ResolvedSessionConfig } from '../lib/config.js';
import { Sealer } from '../lib/cookie/sealer.js';
import { findCookie, sessionCookie } from './helpers/cookies.js';
import { codecApps } from './helpers/codec-apps.js';
import { bootCookieApp } from './helpers/boot.js';

const sessionConfig = (app: MockApplication) => app.config.session as unknown as ResolvedSessionConfig;

type Fill = { status: number; size?: number; text: string; line?: string };
type Padding = { len: number; maxAge?: number };

async function fill(app: MockApplication, { len, maxAge }: Padding): Promise<Fill> {
  const res = await request(app.callback()).get('/fill').query(maxAge ? { len, maxAge } : { len });
  const cookie = findCookie(res);
  return { status: res.status, size: cookie && Buffer.byteLength(cookie.line), text: res.text, line: cookie?.line };
}

/**
 * A padding whose Set-Cookie line is exactly `limit` bytes. Each padding char adds 1 or 2 bytes
 * (base64), so some sizes are never hit for a given set of attributes: then a shorter maxAge
 * (one digit less in max-age) shifts the line by a byte. Bounded search.
 */
async function exactFit(app: MockApplication, limit: number): Promise<Padding> {
  for (const maxAge of [ undefined, 8_640_000, 864_000 ]) {
    const probe = await fill(app, { len: 10, maxAge });
    assert.equal(probe.status, 200);
    let len = 10 + Math.floor((limit - probe.size!) * 3 / 4) - 3;
    for (let step = 0; step < 12; step++, len++) {
      const result = await fill(app, { len, maxAge });
      if (result.status === 200 && result.size === limit) return { len, maxAge };
      if (result.status !== 200 || result.size! > limit) break;
    }
  }
  assert.fail(`no padding gives a ${limit}-byte Set-Cookie`);
}

describe('session cookie size budget', () => {
  afterEach(mm.restore);

  describe("onCookieTooLarge: 'error' (the unittest default), default cookieSizeLimit 4093 (codecApps.sealed)", () => {
    let app: MockApplication;
    before(async () => {
      app = await bootCookieApp(codecApps.sealed());
    });
    after(() => app.close());

    it('defaults to 4093 bytes and error in unittest', () => {
      assert.equal(sessionConfig(app).cookieSizeLimit, 4093);
      assert.equal(sessionConfig(app).onCookieTooLarge, 'error');
    });

    it('sends a cookie of exactly the limit, and answers one byte-step over with a clear error and no cookie', async () => {
      const fit = await exactFit(app, 4093);
      const atLimit = await fill(app, fit);
      assert.equal(atLimit.status, 200);
      assert.equal(atLimit.size, 4093);
      // name, value and attributes all count
      assert.match(atLimit.line!, /^EGG_SESS=v2\.[\w-]+; path=\/; max-age=\d+; expires=[^;]+; httponly$/);

      const over = await fill(app, { ...fit, len: fit.len + 1 });
      assert.equal(over.status, 500);
      assert.equal(over.size, undefined, 'the too-large cookie must not reach the browser');
      const [ , size ] = /Session cookie "EGG_SESS" is (\d+) bytes, over cookieSizeLimit 4093 bytes/.exec(over.text) ?? [];
      assert.ok(Number(size) > 4093 && Number(size) <= 4095, over.text.slice(0, 300));
      assert.match(over.text, /SessionCookieTooLargeError/);
    });

    it("keeps the browser's previous cookie: the session survives the failed request", async () => {
      const agent = new TestAgent(app.callback());
      await agent.get('/set').query({ name: 'small' }).expect(200);
      const res = await agent.get('/fill').query({ len: 5000 }).expect(500);
      assert.equal(findCookie(res), undefined);
      const after = await agent.get('/get').expect(200);
      assert.deepEqual(after.body.session, { name: 'small' });
    });
  });

  describe("onCookieTooLarge: 'warn' in the app's config wins over the unittest default (codecApps.sizeWarn, limit 1000)", () => {
    let app: MockApplication;
    before(async () => {
      app = await bootCookieApp(codecApps.sizeWarn());
    });
    after(() => app.close());

    it('stays quiet at the limit, and over it logs the size through the egg logger and still sends the cookie', async () => {
      app.mockLog('coreLogger');
      const fit = await exactFit(app, 1000);
      assert.equal((await fill(app, fit)).size, 1000);
      app.notExpectLog('[session][too-large]', 'coreLogger');

      const over = await fill(app, { ...fit, len: fit.len + 1 });
      assert.equal(over.status, 200);
      assert.ok(over.size! > 1000);
      app.expectLog(new RegExp(`WARN .*\\[session\\]\\[too-large\\] key\\(EGG_SESS\\) size\\(${over.size}\\) limit\\(1000\\)`), 'coreLogger');
    });
  });

  describe('the policy defaults by env (codecApps.size, limit 1000, no policy set)', () => {
    async function overLimit(env?: string): Promise<{ app: MockApplication; status: number }> {
      if (env) mm.env(env);
      const app = await bootCookieApp(codecApps.size());
      app.mockLog('coreLogger');
      const res = await request(app.callback()).get('/fill').query({ len: 2000 });
      return { app, status: res.status };
    }

    for (const env of [ undefined, 'local' ]) {
      it(`is 'error' in ${env ?? 'unittest'}`, async () => {
        const { app, status } = await overLimit(env);
        try {
          assert.equal(sessionConfig(app).onCookieTooLarge, 'error');
          assert.equal(status, 500);
        } finally {
          await app.close();
        }
      });
    }

    it("is 'warn' in prod", async () => {
      const { app, status } = await overLimit('prod');
      try {
        assert.equal(sessionConfig(app).onCookieTooLarge, 'warn');
        assert.equal(status, 200);
        app.expectLog(/\[session\]\[too-large\] key\(EGG_SESS\) size\(\d+\) limit\(1000\)/, 'coreLogger');
      } finally {
        await app.close();
      }
    });
  });

  it('sealing costs 3 + 4/3 × 28 bytes over the JSON: v2. prefix, IV and tag, base64url', async () => {
    const app = await bootCookieApp(codecApps.sealed());
    try {
      const res = await request(app.callback()).get('/set')
        .query({ userId: '1234567', name: 'Alice Example', role: 'editor', locale: 'en-US', csrf: 'a'.repeat(32) }).expect(200);
      const value = sessionCookie(res).value;
      const json = new Sealer([ 'cs-new-key' ], 'EGG_SESS').open(value)!.text;
      assert.equal(value.length, 3 + Math.ceil((Buffer.byteLength(json) + 28) * 4 / 3));
      // @eggjs/session's value for the same JSON (padded base64), plus its EGG_SESS.sig=<43 chars> cookie
      const upstreamValue = Buffer.from(json).toString('base64');
      assert.ok(value.length - upstreamValue.length <= 41);
    } finally {
      await app.close();
    }
  });
});
