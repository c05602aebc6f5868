import assert from 'node:assert/strict';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { mm, type MockApplication } from '@eggjs/mock';
import { Sealer } from '../lib/codec/sealer.js';
import { hostileCookieCases, hostileSeed, type CookieSources } from './helpers/hostile.js';
import {
  CASE_HEADER, EventTally, freshSessionProblems, getRaw, KindSummary, runBounded, setCookieValue,
} from './helpers/hostile-run.js';
import { objectPrototypeSnapshot } from './helpers/cs-cookies.js';
import { serve, type Served } from './helpers/rd-http.js';

const CASES = 2000;
const CONCURRENCY = 16;
const COOKIE = 'EGG_SESS';
// hd-cookie-app's keys: the first seals, both open
const APP_KEYS = [ 'hd-cookie-key-new', 'hd-cookie-key-old' ];

describe('hardening: seeded hostile cookies against the cookie store (hd-cookie-app)', function () {
  this.timeout(60_000);
  const seed = hostileSeed();
  let app: MockApplication;
  let served: Served;
  let port: number;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  before(async () => {
    console.log(`      hostile seed ${seed} (replay with HOSTILE_SEED=${seed})`);
    app = mm.app({ baseDir: 'hd-cookie-app' });
    await app.ready();
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
      assert.ok(value?.startsWith('v1.'), `expected a sealed cookie, got ${JSON.stringify(reply.setCookies)}`);
      cookies.push(value!);
    }
    return cookies;
  }

  it(`answers ${CASES} hostile cookies with 2xx fresh sessions and the expected session events`, async () => {
    const sources: CookieSources = {
      cookieName: COOKIE,
      appKeys: APP_KEYS,
      seal: plaintext => new Sealer([ APP_KEYS[0] ]).seal(plaintext),
      sealWithKey: (plaintext, key) => new Sealer([ key ]).seal(plaintext),
      genuine: await genuineCookies(20),
    };
    const baseline = (await getRaw(agent, port, '/proto', {})).body;
    const prototypeBefore = objectPrototypeSnapshot();
    const tally = new EventTally(app);
    const summary = new KindSummary();
    const failures: string[] = [];
    const expected = new Map<string, string>();
    const started = Date.now();

    await runBounded(hostileCookieCases(seed, CASES, sources), CONCURRENCY, async hostile => {
      expected.set(String(hostile.index), hostile.expect);
      let problems: string[];
      try {
        const reply = await getRaw(agent, port, '/get', { cookie: hostile.cookieHeader, [CASE_HEADER]: String(hostile.index) });
        problems = freshSessionProblems(reply, COOKIE, baseline);
      } catch (error) {
        problems = [ `request failed: ${(error as Error).message}` ];
      }
      summary.add(hostile.kind, problems.length > 0);
      if (problems.length) failures.push(`#${hostile.index} ${hostile.kind} (${hostile.label}): ${problems.join('; ')}`);
    });
    // koa-session emits its events on setImmediate
    await sleep(100);
    tally.detach();
    for (const [ id, event ] of expected) {
      const problems = tally.problems(id, event);
      if (problems.length) failures.push(`#${id}: ${problems.join('; ')}`);
    }

    const totals = tally.totals();
    console.log(`      ${CASES} cases in ${Date.now() - started} ms; events ${JSON.stringify(totals)}`);
    console.log(`      by kind: ${summary}`);
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} of ${CASES} cases failed (seed ${seed})`);
    const wanted = { invalid: 0, expired: 0, missed: 0, error: 0 } as Record<string, number>;
    for (const event of expected.values()) wanted[event]++;
    assert.deepEqual(totals, wanted);
    assert.ok(totals.invalid > 1500 && totals.expired > 0, 'both invalid and expired cases ran');
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
