// Phase A: N hostile cookies from the seeded generator against the cookie store (prod env).
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const COOKIE = 'EGG_SESS';
const APP_KEYS = [ 'stress-key-current', 'stress-key-older' ];
const MAX_LISTED = 10;

export async function hostilePhase({ app, helpers, root, seed, cases, concurrency, deadlineMs, log }) {
  // the plugin's own codec, from the build under test
  const { Sealer } = await import(pathToFileURL(path.join(root, 'dist', 'esm', 'index.js')).href);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const get = (urlPath, headers = {}) => helpers.getRaw(agent, app.port, urlPath, headers);
  try {
    const genuine = [];
    for (let i = 0; i < 20; i++) {
      const value = helpers.setCookieValue((await get(`/set?userId=u-${i}&note=${'n'.repeat(i * 7)}`)).setCookies, COOKIE);
      if (!value?.startsWith('v2.')) throw new Error(`the app did not issue a sealed cookie: ${value}`);
      genuine.push(value);
    }
    const baseline = (await get('/proto')).body;
    const sources = {
      cookieName: COOKIE,
      appKeys: APP_KEYS,
      seal: plaintext => new Sealer([ APP_KEYS[0] ], 'EGG_SESS').seal(plaintext),
      sealWithKey: (plaintext, key, name = 'EGG_SESS') => new Sealer([ key ], name).seal(plaintext),
      genuine,
    };
    const statuses = {};
    let done = 0;
    let totals;
    const run = await helpers.runHostileCases(helpers.hostileCookieCases(seed, cases, sources), concurrency, async hostile => {
      try {
        const reply = await get('/get', { cookie: hostile.cookieHeader, [helpers.CASE_HEADER]: String(hostile.index) });
        statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
        return helpers.freshSessionProblems(reply, COOKIE, baseline);
      } finally {
        if (++done % 2500 === 0) log(`  hostile: ${done}/${cases}`);
      }
    }, {
      deadlineMs,
      // every session event the app emitted (also untagged ones) counts in the totals
      seenEvents: () => app.ask('events', 'events').then(answer => {
        totals = answer.totals;
        return answer.byCase;
      }),
    });
    const protoAfter = (await get('/proto')).body;
    const protoUntouched = JSON.stringify(protoAfter) === JSON.stringify(baseline);
    return {
      cases: run.cases, requested: cases, timedOut: run.timedOut, elapsedMs: run.ms, statuses, totals, wanted: run.wanted,
      eventMismatches: run.eventMismatches, failed: run.failures.length, failures: run.failures.slice(0, MAX_LISTED),
      protoUntouched, alive: app.alive, byKind: run.summary.toString(),
    };
  } finally {
    agent.destroy();
  }
}
