import assert from 'node:assert/strict';
import http from 'node:http';
import type { MockApplication } from '@eggjs/mock';
import { Sealer } from '../lib/cookie/sealer.js';
import { hostileCookieCases, hostileSeed, type CookieSources } from './helpers/hostile.js';
import {
  CASE_HEADER, freshSessionProblems, getRaw, objectPrototypeSnapshot, recordSessionEvents, runHostileCases, setCookieValue,
} from './helpers/hostile-run.js';
import { serve, type Served } from './helpers/http.js';
import { bootApp } from './helpers/boot.js';

const CASES = 2000;
const CONCURRENCY = 16;
const COOKIE = 'EGG_SESS';
// the app's keys: the first seals, both open
const APP_KEYS = [ 'hostile-cookie-key-new', 'hostile-cookie-key-old' ];

describe('seeded hostile cookies against the cookie store (cookie-app, routes/hostile.js)', function () {
  this.timeout(60_000);
  const seed = hostileSeed();
  let app: MockApplication;
  let served: Served;
  let port: number;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  before(async () => {
    console.log(`      hostile seed ${seed} (replay with HOSTILE_SEED=${seed})`);
    // the cookie store with the defaults: AES-256-GCM sealed cookies, legacy @eggjs/session cookies accepted
    app = await bootApp('cookie', {
      keys: APP_KEYS.join(','),
      fixture: { routes: 'hostile' },
      // thousands of rejected cookies are logged as [session][invalid] warnings: keep them in the log files only
      logger: { consoleLevel: 'NONE' },
    });
    served = await serve(app.callback());
    port = Number(new URL(served.url).port);
  });
  after(async () => {
    agent.destroy();
    await served?.close();
    await app?.close();
  });

  async function genuineCookies(count: number): Promise<string[]> {
    const cookies: string[] = [];
    for (let i = 0; i < count; i++) {
      const reply = await getRaw(agent, port, `/set?userId=u-${i}&role=user&note=${'n'.repeat(i * 7)}`, {});
      const value = setCookieValue(reply.setCookies, COOKIE);
      assert.ok(value?.startsWith('v2.'), `expected a sealed cookie, got ${JSON.stringify(reply.setCookies)}`);
      cookies.push(value!);
    }
    return cookies;
  }

  it(`answers ${CASES} hostile cookies with 2xx fresh sessions and the expected session events`, async () => {
    const sources: CookieSources = {
      cookieName: COOKIE,
      appKeys: APP_KEYS,
      seal: plaintext => new Sealer([ APP_KEYS[0] ], 'EGG_SESS').seal(plaintext),
      sealWithKey: (plaintext, key, name = 'EGG_SESS') => new Sealer([ key ], name).seal(plaintext),
      genuine: await genuineCookies(20),
    };
    const baseline = (await getRaw(agent, port, '/proto', {})).body;
    const prototypeBefore = objectPrototypeSnapshot();
    const run = await runHostileCases(hostileCookieCases(seed, CASES, sources), CONCURRENCY, async hostile =>
      freshSessionProblems(await getRaw(agent, port, '/get', { cookie: hostile.cookieHeader, [CASE_HEADER]: String(hostile.index) }),
        COOKIE, baseline), { seenEvents: recordSessionEvents(app) });
    console.log(`      ${CASES} cases in ${run.ms} ms; events ${JSON.stringify(run.totals)}`);
    console.log(`      by kind: ${run.summary}`);
    assert.deepEqual(run.failures.slice(0, 20), [], `${run.failures.length} of ${CASES} cases failed (seed ${seed})`);
    assert.deepEqual(run.totals, run.wanted);
    assert.ok(run.totals.invalid > 1500 && run.totals.expired > 0, 'both invalid and expired cases ran');
    assert.equal(objectPrototypeSnapshot(), prototypeBefore, 'Object.prototype of the test process changed');
    assert.deepEqual((await getRaw(agent, port, '/proto', {})).body, baseline, 'Object.prototype seen by the app changed');
  });

  it('still serves genuine sessions after the hostile run', async () => {
    const [ cookie ] = await genuineCookies(1);
    const reply = await getRaw(agent, port, '/get', { cookie: `${COOKIE}=${cookie}` });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body.session, { userId: 'u-0', role: 'user', note: '' });
    assert.equal(reply.body.isNew, false);
  });
});
