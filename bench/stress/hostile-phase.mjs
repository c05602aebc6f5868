// Phase A: N hostile cookies from the seeded generator against the cookie store (prod env).
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const COOKIE = 'EGG_SESS';
const APP_KEYS = [ 'stress-key-current', 'stress-key-older' ];
const MAX_LISTED = 10;

export async function hostilePhase({ app, helpers, root, seed, cases, concurrency, deadlineMs, log }) {
  // the plugin's own codec, from the build under test
  const { Sealer } = await import(pathToFileURL(path.join(root, 'dist', 'esm', 'lib', 'codec', 'sealer.js')).href);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const get = (urlPath, headers = {}) => helpers.getRaw(agent, app.port, urlPath, headers);
  try {
    const genuine = [];
    for (let i = 0; i < 20; i++) {
      const value = helpers.setCookieValue((await get(`/set?userId=u-${i}&note=${'n'.repeat(i * 7)}`)).setCookies, COOKIE);
      if (!value?.startsWith('v1.')) throw new Error(`the app did not issue a sealed cookie: ${value}`);
      genuine.push(value);
    }
    const baseline = (await get('/proto')).body;
    const sources = {
      cookieName: COOKIE,
      appKeys: APP_KEYS,
      seal: plaintext => new Sealer([ APP_KEYS[0] ]).seal(plaintext),
      sealWithKey: (plaintext, key) => new Sealer([ key ]).seal(plaintext),
      genuine,
    };
    const summary = new helpers.KindSummary();
    const failures = [];
    const expected = new Map();
    const statuses = {};
    const started = Date.now();
    let done = 0;
    let timedOut = false;
    await helpers.runBounded(helpers.hostileCookieCases(seed, cases, sources), concurrency, async hostile => {
      if (Date.now() - started > deadlineMs) {
        timedOut = true;
        return;
      }
      expected.set(String(hostile.index), hostile.expect);
      let problems;
      try {
        const reply = await get('/get', { cookie: hostile.cookieHeader, [helpers.CASE_HEADER]: String(hostile.index) });
        statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
        problems = helpers.freshSessionProblems(reply, COOKIE, baseline);
      } catch (error) {
        problems = [ `request failed: ${error.message}` ];
      }
      summary.add(hostile.kind, problems.length > 0);
      if (problems.length) failures.push(`#${hostile.index} ${hostile.kind} (${hostile.label}): ${problems.join('; ')}`);
      if (++done % 2500 === 0) log(`  hostile: ${done}/${cases}`);
    });
    const elapsedMs = Date.now() - started;
    await sleep(200);
    const { byCase, totals } = await app.ask('events', 'events');
    let eventMismatches = 0;
    for (const [ id, event ] of expected) {
      const seen = byCase[id] ?? [];
      if (seen.length !== 1 || seen[0] !== event) {
        eventMismatches++;
        if (failures.length < 1000) failures.push(`#${id}: events ${JSON.stringify(seen)}, expected ["${event}"]`);
      }
    }
    const protoAfter = (await get('/proto')).body;
    const protoUntouched = JSON.stringify(protoAfter) === JSON.stringify(baseline);
    const wanted = { invalid: 0, expired: 0, missed: 0 };
    for (const event of expected.values()) wanted[event]++;
    return {
      cases: expected.size, requested: cases, timedOut, elapsedMs, statuses, totals, wanted, eventMismatches,
      failed: failures.length, failures: failures.slice(0, MAX_LISTED), protoUntouched, alive: app.alive,
      byKind: summary.toString(),
    };
  } finally {
    agent.destroy();
  }
}
