#!/usr/bin/env node
// `npm run bench:micro`: CPU µs per request of the session path, in process (no sockets, no load
// generator), each variant paired back to back with its comparison (A B B A ...): steadier than the
// HTTP bench on a shared machine, for deciding optimisations. Reports the median pair ratio and its range.
// Usage: node bench/micro.mjs [--pairs N] [--count N] [--only name,name] [--against DIR] [--cpu-prof DIR]
//   --against DIR: pair this build with the plugin built in DIR (a checkout with dist/), to decide a change
//   --cpu-prof DIR: V8 CPU profiles of every worker into DIR
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { redisAvailable, startRedisServer } from './lib/redis-server.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '6' },
    count: { type: 'string', default: '4000' },
    only: { type: 'string' },
    against: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});

// [variant, the one it is compared with]
const PAIRS = args.against ? [
  [ { name: 'this-cookie-rw', app: 'ours', route: '/rw' }, { name: 'other-cookie-rw', app: 'ours', route: '/rw', pluginPath: path.resolve(args.against) } ],
  [ { name: 'this-cookie-ro', app: 'ours', route: '/ro' }, { name: 'other-cookie-ro', app: 'ours', route: '/ro', pluginPath: path.resolve(args.against) } ],
  [ { name: 'this-redis-rw', app: 'ours', route: '/rw', redis: true, session: { store: 'redis', redis: { prefix: 'micro-this-rw:' } } },
    { name: 'other-redis-rw', app: 'ours', route: '/rw', redis: true, session: { store: 'redis', redis: { prefix: 'micro-other-rw:' } }, pluginPath: path.resolve(args.against) } ],
  [ { name: 'this-redis-ro', app: 'ours', route: '/ro', redis: true, session: { store: 'redis', redis: { prefix: 'micro-this-ro:' } } },
    { name: 'other-redis-ro', app: 'ours', route: '/ro', redis: true, session: { store: 'redis', redis: { prefix: 'micro-other-ro:' } }, pluginPath: path.resolve(args.against) } ],
] : [
  [ { name: 'ours-cookie-rw', app: 'ours', route: '/rw' }, { name: 'up-cookie-rw', app: 'upstream', route: '/rw' } ],
  [ { name: 'ours-cookie-ro', app: 'ours', route: '/ro' }, { name: 'up-cookie-ro', app: 'upstream', route: '/ro' } ],
  [ { name: 'ours-cookie-2k-rw', app: 'ours', route: '/rw', bytes: 2048 }, { name: 'up-cookie-2k-rw', app: 'upstream', route: '/rw', bytes: 2048 } ],
  [ { name: 'ours-cookie-rw', app: 'ours', route: '/rw' }, { name: 'baseline', app: 'baseline', route: '/rw' } ],
  [ { name: 'ours-cookie-ro', app: 'ours', route: '/ro' }, { name: 'baseline', app: 'baseline', route: '/ro' } ],
  // the Redis variants run against the bench's own redis-server (skipped without one); CPU is this process's only
  [ { name: 'ours-redis-rw', app: 'ours', route: '/rw', redis: true, session: { store: 'redis', redis: { prefix: 'micro-rw:' } } },
    { name: 'up-redis-rw', app: 'upstream', route: '/rw', redis: true, env: { BENCH_STORE: 'readme-redis' } } ],
  [ { name: 'ours-redis-ro', app: 'ours', route: '/ro', redis: true, session: { store: 'redis', redis: { prefix: 'micro-ro:' } } },
    { name: 'up-redis-ro', app: 'upstream', route: '/ro', redis: true, env: { BENCH_STORE: 'readme-redis' } } ],
];

let redisPort;

function startWorker(variant, tmp) {
  const child = fork(path.join(ROOT, 'bench', 'micro-worker.mjs'), {
    execArgv: args['cpu-prof'] ? [ '--cpu-prof', '--cpu-prof-dir', args['cpu-prof'] ] : [],
    env: {
      ...process.env,
      BENCH_APP_DIR: path.join(ROOT, 'bench', 'apps', variant.app),
      BENCH_TMP_DIR: path.join(tmp, variant.name),
      BENCH_PLUGIN_PATH: variant.pluginPath ?? ROOT,
      BENCH_SESSION: JSON.stringify(variant.session ?? {}),
      ...variant.env,
      ...(variant.redis ? { BENCH_REDIS_PORT: String(redisPort) } : {}),
    },
    stdio: [ 'ignore', 'ignore', 'inherit', 'ipc' ],
  });
  const waiting = [];
  child.on('message', message => {
    if (message.type === 'error') waiting.shift()?.reject(new Error(`${variant.name}: ${message.message}`));
    else waiting.shift()?.resolve(message);
  });
  const ask = message => new Promise((resolve, reject) => {
    waiting.push({ resolve, reject });
    if (message) child.send(message);
  });
  return { child, ask };
}

async function prepared(variant, tmp, count) {
  const worker = startWorker(variant, tmp);
  await worker.ask();
  await worker.ask({ type: 'prepare', route: variant.route, bytes: variant.bytes, warmup: count });
  return {
    measure: () => worker.ask({ type: 'measure', route: variant.route, count }).then(answer => answer.usPerRequest),
    stop: () => { worker.child.send({ type: 'stop' }); },
  };
}

const median = values => [ ...values ].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const pairs = Number(args.pairs);
  const count = Number(args.count);
  const only = args.only ? new Set(args.only.split(',')) : undefined;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'egg-session-micro-'));
  console.log(`micro bench: ${pairs} A B B A pairs of ${count} requests each, CPU µs per request (user + system), Node ${process.version}`);
  console.log('| variant | µs/request (median) | compared with | µs/request (median) | throughput ratio, median pair (min–max) |');
  console.log('| --- | --- | --- | --- | --- |');
  const chosen = PAIRS.filter(([ a ]) => !only || only.has(a.name));
  let redis;
  if (chosen.some(([ a, b ]) => a.redis || b.redis)) {
    if (redisAvailable()) {
      redis = await startRedisServer();
      redisPort = redis.port;
    } else {
      console.error('redis-server is not installed: the Redis pairs are skipped');
    }
  }
  try {
    for (const [ a, b ] of chosen) {
      if ((a.redis || b.redis) && !redis) continue;
      const [ left, right ] = await Promise.all([ prepared(a, tmp, count), prepared(b, tmp, count) ]);
      const aTimes = [];
      const bTimes = [];
      for (let pair = 0; pair < pairs; pair++) {
        // A B on even pairs, B A on odd ones: drift of the machine falls on both sides
        const order = pair % 2 ? [ [ right, bTimes ], [ left, aTimes ] ] : [ [ left, aTimes ], [ right, bTimes ] ];
        for (const [ side, times ] of order) times.push(await side.measure());
      }
      left.stop();
      right.stop();
      // throughput ratio a/b = CPU b / CPU a, per pair
      const ratios = aTimes.map((t, i) => bTimes[i] / t);
      console.log(`| ${a.name} | ${median(aTimes).toFixed(1)} | ${b.name} | ${median(bTimes).toFixed(1)} | ` +
        `${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) |`);
    }
  } finally {
    await redis?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
