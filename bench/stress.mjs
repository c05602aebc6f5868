#!/usr/bin/env node
// `npm run stress`: the reliability promises under hostile input, load and a Redis outage, with figures.
// A. hostile cookies (seeded generator of test/helpers/hostile.ts) against the cookie store (prod env);
// A2. hostile session ids (same generator) against the Redis store, before B on the same app;
// B. concurrent clients with their own session counters on the Redis store (the harness's redis-server);
// C. while B runs, redis-server is killed, kept down, and started again on the same port (AOF, fsync always).
// Exits non-zero when a promise is broken. Everything runs on 127.0.0.1; every process is stopped by PID.
// Usage: node bench/stress.mjs [--hostile N] [--hostile-ids N] [--clients N] [--duration S] [--outage-at S] [--outage S] [--no-write] [--keep-tmp]
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadHostileHelpers } from './stress/shared-helpers.mjs';
import { killAll, startApp, startRedis } from './stress/processes.mjs';
import { hostilePhase } from './stress/hostile-phase.mjs';
import { loadPhase, RECOVERY_LIMIT_MS } from './stress/load-phase.mjs';
import { hostileIdsPhase } from './stress/hostile-ids-phase.mjs';
import { machine, markdownTable, rows } from './stress/report.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const { values: args } = parseArgs({
  options: {
    hostile: { type: 'string', default: '10000' },
    'hostile-ids': { type: 'string', default: '2000' },
    clients: { type: 'string', default: '64' },
    duration: { type: 'string', default: '30' },
    'outage-at': { type: 'string', default: '10' },
    outage: { type: 'string', default: '3' },
    'no-write': { type: 'boolean', default: false },
    // keep the apps' logs (tmp dir) for a look after the run
    'keep-tmp': { type: 'boolean', default: false },
  },
});
const log = message => process.stderr.write(`${message}\n`);
const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'egg-session-stress-'));
// the figures depend on what else the machine runs: the report shows the load average at the start
const loadAtStart = os.loadavg()[0];

function cleanUp() {
  killAll();
  if (args['keep-tmp']) log(`stress: logs kept in ${tmpDir}`);
  else rmSync(tmpDir, { recursive: true, force: true });
}
for (const signal of [ 'SIGINT', 'SIGTERM' ]) {
  process.once(signal, () => {
    log(`\n${signal}: stopping every process the stress started`);
    cleanUp();
    process.exit(130);
  });
}

async function main() {
  if (!existsSync(path.join(ROOT, 'dist', 'esm', 'app.js'))) throw new Error('no build in dist/: run `npm run stress` (it builds first)');
  const helpers = await loadHostileHelpers(ROOT, tmpDir);
  const settings = {
    seed: helpers.hostileSeed(),
    hostile: Number(args.hostile),
    hostileIds: Number(args['hostile-ids']),
    clients: Number(args.clients),
    duration: Number(args.duration),
    outageAt: Number(args['outage-at']),
    outage: Number(args.outage),
    recoveryLimitMs: RECOVERY_LIMIT_MS,
  };
  log(`stress: hostile seed ${settings.seed} (replay with HOSTILE_SEED=${settings.seed}); tmp ${tmpDir}`);

  log(`A. ${settings.hostile} hostile cookies against the cookie store`);
  const cookieApp = await startApp({ name: 'cookie-store', tmpDir, pluginPath: ROOT });
  let hostile;
  try {
    hostile = await hostilePhase({
      app: cookieApp, helpers, root: ROOT, seed: settings.seed, cases: settings.hostile, concurrency: 32, deadlineMs: 5 * 60_000, log,
    });
  } finally {
    await cookieApp.stop();
  }
  for (const failure of hostile.failures) log(`  FAILED ${failure.slice(0, 300)}`);

  let load;
  let hostileIds;
  if (spawnSync('redis-server', [ '--version' ], { stdio: 'ignore' }).status !== 0) {
    log('B/C. SKIPPED: no redis-server binary (install it): the Redis promises are not checked');
  } else {
    log(`B/C. ${settings.clients} clients for ${settings.duration} s on the Redis store; redis-server down at ${settings.outageAt} s for ${settings.outage} s`);
    const redis = await startRedis(tmpDir);
    try {
      const redisApp = await startApp({ name: 'redis-store', tmpDir, pluginPath: ROOT, redisPort: redis.port });
      try {
        log(`A2. ${settings.hostileIds} hostile session ids against the Redis store`);
        hostileIds = await hostileIdsPhase({
          app: redisApp, redis, helpers, seed: settings.seed, cases: settings.hostileIds, concurrency: 16, deadlineMs: 3 * 60_000, log,
        });
        for (const failure of hostileIds.failures) log(`  FAILED ${failure.slice(0, 300)}`);
        load = await loadPhase({
          app: redisApp, redis, clients: settings.clients, durationMs: settings.duration * 1000,
          outageAtMs: settings.outageAt * 1000, outageMs: settings.outage * 1000, maxRequestsPerClient: 100_000, log,
        });
      } finally {
        await redisApp.stop();
      }
    } finally {
      await redis.stop();
    }
    for (const problem of load.problems) log(`  PROBLEM ${problem}`);
  }

  const table = rows({ hostile, hostileIds, load, settings });
  const broken = table.filter(row => row.ok === false).length + (load ? 0 : 1);
  const markdown = markdownTable(table);
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  console.log(`\n${markdown}\n`);
  const report = [
    '# Stress results (`npm run stress`)',
    '',
    `Latest run: ${stamp} on ${machine()}; load average ${loadAtStart.toFixed(1)} when it started.`,
    `Hostile seed ${settings.seed} (replay with \`HOSTILE_SEED=${settings.seed} npm run stress\`). ` +
      `${settings.hostile} hostile cookies; ${settings.clients} clients for ${settings.duration} s; ` +
      `redis-server killed at ${settings.outageAt} s and started again ${settings.outage} s later.`,
    '',
    markdown,
    '',
    broken ? `**${broken} promise(s) broken.**` : 'Every promise held.',
    '',
    'Notes: A sends each cookie to a prod-env egg app (cookie store, from dist/) and checks the answer (2xx, empty new session,',
    'no session cookie written, Object.prototype unchanged inside the app) and the session event the app emitted for it.',
    'B: each client sends its own session cookie on its own keep-alive connection; every 2xx must carry its own name and',
    'its last acknowledged count + 1 (a request answered with an error may have been committed: then the next count may',
    'skip ahead by at most the number of such errors; that is counted as "answered 503 but committed", not as lost).',
    'C: after the load every client\'s last acknowledged count is compared with what the app returns and what Redis holds.',
    '',
  ].join('\n');
  if (!args['no-write']) writeFileSync(path.join(ROOT, 'bench', 'STRESS.md'), report);
  log(broken ? `stress: ${broken} promise(s) BROKEN` : 'stress: every promise held');
  return broken ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  log(`stress failed: ${error.stack ?? error}`);
} finally {
  cleanUp();
}
process.exit(code);
