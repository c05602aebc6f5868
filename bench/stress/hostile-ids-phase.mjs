// Phase A2: N hostile session ids from the seeded generator against the Redis store (prod env):
// ids of destroyed sessions, unknown ids, ids naming other keys under the prefix (session-control
// index keys, hash tags, separators), huge and random ids, and corrupt values planted under real-shaped ids.
import http from 'node:http';
import { redisCli } from '../lib/redis-server.mjs';

const COOKIE = 'EGG_SESS';
const PREFIX = 'stress:';
const DESTROYED = 30;
const MAX_LISTED = 10;

/** Plants what a case stores under its id's key, with redis-cli (values are passed as arguments). */
async function plant(port, hostile) {
  const key = PREFIX + hostile.id;
  if (hostile.stored !== undefined) await redisCli(port, 'SET', key, hostile.stored, 'PX', '600000');
  if (hostile.storedHash) {
    await redisCli(port, 'HSET', key, ...Object.entries(hostile.storedHash).flat());
    await redisCli(port, 'PEXPIRE', key, '600000');
  }
  return hostile.stored !== undefined || hostile.storedHash !== undefined;
}

export async function hostileIdsPhase({ app, redis, helpers, seed, cases, concurrency, deadlineMs, log }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const get = (urlPath, headers = {}) => helpers.getRaw(agent, app.port, urlPath, headers);
  try {
    const destroyed = [];
    const users = [];
    for (let i = 0; i < DESTROYED; i++) {
      const id = helpers.setCookieValue((await get(`/set?userId=hu-${i}`)).setCookies, COOKIE);
      if (!id) throw new Error('the Redis app did not issue a session id');
      await get('/logout', { cookie: `${COOKIE}=${id}` });
      destroyed.push(id);
      users.push(`hu-${i}`);
    }
    const baseline = (await get('/proto')).body;
    const keysBefore = Number((await redisCli(redis.port, 'DBSIZE')).trim());
    let planted = 0;
    const statuses = {};
    let totals;
    const run = await helpers.runHostileCases(helpers.hostileIdCases(seed, cases, { destroyed, users }), concurrency, async hostile => {
      if (await plant(redis.port, hostile)) planted++;
      const reply = await get('/get', { cookie: `${COOKIE}=${hostile.id}`, [helpers.CASE_HEADER]: String(hostile.index) });
      statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
      return helpers.freshSessionProblems(reply, COOKIE, baseline);
    }, {
      deadlineMs,
      seenEvents: () => app.ask('events', 'events').then(answer => {
        totals = answer.totals;
        return answer.byCase;
      }),
    });
    const keysAfter = Number((await redisCli(redis.port, 'DBSIZE')).trim());
    const protoAfter = (await get('/proto')).body;
    log(`  hostile ids: ${run.cases} in ${run.ms} ms; ${run.summary}`);
    return {
      cases: run.cases, requested: cases, timedOut: run.timedOut, elapsedMs: run.ms, statuses, totals, wanted: run.wanted,
      eventMismatches: run.eventMismatches, failed: run.failures.length, failures: run.failures.slice(0, MAX_LISTED),
      // nothing but what the cases planted may be added: no hostile id becomes a key
      keysWritten: keysAfter - keysBefore - planted,
      protoUntouched: JSON.stringify(protoAfter) === JSON.stringify(baseline), alive: app.alive,
    };
  } finally {
    agent.destroy();
  }
}
