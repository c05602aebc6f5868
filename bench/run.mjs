#!/usr/bin/env node
// `npm run bench`: egg 4 + egg-session-plus (from dist/) against egg's built-in @eggjs/session.
// Usage: node bench/run.mjs [--quick] [--rounds N] [--duration S] [--warmup S] [--connections N]
//          [--only a,b] [--profile a,b] [--no-profile] [--profile-dir DIR] [--alt DIR] [--no-write | --write]
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { load, prepareSession } from './lib/load.mjs';
import { summarizeProfile } from './lib/profile.mjs';
import { commandCounts, redisAvailable, redisCpuSeconds, resetStats, startRedisServer } from './lib/redis-server.mjs';
import { evaluateTargets, profileSection, resultsTable, targetsTable } from './lib/report.mjs';
import { killAllServers, startServer } from './lib/server-process.mjs';
import { TARGETS, VARIANTS } from './lib/variants.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const RESULTS_FILE = path.join(ROOT, 'bench', 'RESULTS.md');
// hand-written, from `npm run bench:micro` profiles: where the µs of the variants that miss a target go
const MISSED_TARGETS_FILE = path.join(ROOT, 'bench', 'MISSED-TARGETS.md');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '10' },
    only: { type: 'string' },
    profile: { type: 'string' },
    'no-profile': { type: 'boolean', default: false },
    'profile-dir': { type: 'string' },
    // A/B a change: every selected `ours` variant also runs against the build in this package root
    alt: { type: 'string' },
    write: { type: 'boolean' },
    'no-write': { type: 'boolean', default: false },
  },
});
const settings = {
  rounds: Number(args.rounds ?? 3),
  duration: Number(args.duration ?? (args.quick ? 2 : 5)),
  warmup: Number(args.warmup ?? (args.quick ? 0.5 : 1)),
  connections: Number(args.connections),
};
const write = args['no-write'] ? false : (args.write ?? (!args.quick && !args.alt));

function log(message) {
  process.stderr.write(`${message}\n`);
}

/** `<name>@alt`: the same variant on the build in `--alt`, compared with the original. */
function altVariants(variants) {
  if (!args.alt) return variants;
  const pluginPath = path.resolve(args.alt);
  if (!existsSync(path.join(pluginPath, 'dist', 'commonjs', 'app.js'))) throw new Error(`--alt ${pluginPath}: no build in dist/`);
  return variants.flatMap(v => (v.app !== 'ours' ? [ v ] : [
    v, { ...v, name: `${v.name}@alt`, label: `${v.label} (--alt build)`, pluginPath, compare: v.name },
  ]));
}

function selectedVariants() {
  if (!args.only) return VARIANTS;
  const wanted = new Set([ 'baseline', ...args.only.split(',') ]);
  for (const name of wanted) {
    if (!VARIANTS.some(v => v.name === name)) throw new Error(`--only: unknown variant ${name}`);
  }
  // a compared variant runs too, so its ratio comes from the same run
  for (const v of VARIANTS) if (wanted.has(v.name) && v.compare) wanted.add(v.compare);
  return VARIANTS.filter(v => wanted.has(v.name));
}

function variantEnv(variant, redisPort) {
  return {
    ...variant.env,
    BENCH_SESSION: JSON.stringify(variant.session ?? {}),
    ...(variant.redis ? { BENCH_REDIS_PORT: String(redisPort) } : {}),
  };
}

async function bootVariant(variant, context) {
  const server = await startServer({
    name: variant.name, app: variant.app, env: variantEnv(variant, context.redisPort), tmpDir: context.tmpDir,
    pluginPath: variant.pluginPath ?? ROOT,
  });
  try {
    return { server, session: await prepareSession(server, variant) };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** One measured load: server CPU from process.cpuUsage() deltas, Redis commands from INFO commandstats. */
async function measure(variant, server, session, seconds, redisPort) {
  if (variant.redis) await resetStats(redisPort);
  const redisBefore = variant.redis ? await redisCpuSeconds(redisPort) : 0;
  const before = await server.usage();
  const result = await load({ port: server.port, route: variant.route, cookie: session.cookie, seconds, connections: settings.connections, chain: variant.chain });
  const after = await server.usage();
  const cpu = (after.cpu.user - before.cpu.user) + (after.cpu.system - before.cpu.system);
  return {
    ...result,
    cpuPerRequest: cpu / result.requests,
    commands: variant.redis ? await commandCounts(redisPort) : undefined,
    redisCpuPerRequest: variant.redis ? ((await redisCpuSeconds(redisPort)) - redisBefore) * 1e6 / result.requests : undefined,
  };
}

async function runRounds(variants, context, results) {
  const live = [];
  for (const variant of variants) {
    log(`boot ${variant.name}`);
    try {
      const { server, session } = await bootVariant(variant, context);
      live.push({ variant, server, session });
      results.set(variant.name, { rounds: [], setCookie: session.setCookie, cookieBytes: session.cookieBytes, signed: session.signed });
    } catch (error) {
      const reason = String(error.message).split('\n').slice(0, 3).join(' ').slice(0, 300);
      log(`  skipped: ${reason}`);
      results.set(variant.name, { skipped: reason, rounds: [] });
    }
  }
  try {
    for (let round = 1; round <= settings.rounds; round++) {
      for (const { variant, server, session } of live) {
        // the first round warms the JIT longer
        const warmup = round === 1 ? settings.warmup * 2 : settings.warmup;
        await load({ port: server.port, route: variant.route, cookie: session.cookie, seconds: warmup, connections: settings.connections, chain: variant.chain });
        const measured = await measure(variant, server, session, settings.duration, context.redisPort);
        results.get(variant.name).rounds.push(measured);
        log(`round ${round}/${settings.rounds} ${variant.name.padEnd(20)} ${measured.rps.toFixed(0).padStart(6)} req/s  ` +
          `p99 ${String(measured.p99).padStart(3)} ms  ${measured.cpuPerRequest.toFixed(1).padStart(6)} µs/req` +
          (measured.failed ? `  ${measured.failed} FAILED` : ''));
      }
    }
    for (const { variant, server } of live) results.get(variant.name).maxRss = (await server.usage()).maxRss;
  } finally {
    for (const { server } of live) await server.stop();
  }
}

/** A fresh server per profiled variant, profiled over one measured load after a warm-up. */
async function profileVariants(names, context) {
  const sections = [];
  for (const name of names) {
    const variant = [ ...context.variants, ...VARIANTS ].find(v => v.name === name);
    if (!variant) continue;
    log(`profile ${name}`);
    let booted;
    try {
      booted = await bootVariant(variant, context);
      const { server, session } = booted;
      await load({ port: server.port, route: variant.route, cookie: session.cookie, seconds: settings.warmup * 2, connections: settings.connections, chain: variant.chain });
      await server.profileStart();
      const { requests } = await load({ port: server.port, route: variant.route, cookie: session.cookie, seconds: settings.duration, connections: settings.connections, chain: variant.chain });
      const file = path.resolve(args['profile-dir'] ?? context.tmpDir, `${name}.cpuprofile`);
      await server.profileStop(file);
      sections.push(profileSection(name, summarizeProfile(file, ROOT, requests)));
    } catch (error) {
      sections.push(`### \`${name}\`\n\nnot profiled: ${error.message.split('\n')[0]}`);
    } finally {
      await booted?.server.stop();
    }
  }
  return sections;
}

function versionOf(pkg) {
  try {
    return JSON.parse(readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

/** How egg-session-plus sent the session id in this run's Redis variants. */
function idCookieNote(results) {
  const ours = [ ...results ].find(([ name, entry ]) => name.startsWith('ours-redis') && entry.signed !== undefined)?.[1];
  if (!ours) return 'sends the id as its session cookie';
  return ours.signed ? 'signs it the same way (`encrypt` on)' : 'sends the id unsigned';
}

function renderReport({ variants, results, targets, profiles, startedAt, loadBefore }) {
  const cpus = os.cpus();
  return [
    '# Benchmark results',
    '',
    `Run ${startedAt.toISOString()}${args.quick ? ' (quick run)' : ''} with \`node bench/run.mjs\`` +
      `${process.argv.length > 2 ? ` (${process.argv.slice(2).join(' ')})` : ''}.`,
    `Node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus.length} cores (${cpus[0]?.model.trim() ?? '?'}), ` +
      `egg ${versionOf('egg')}, koa-session ${versionOf('koa-session')}, @eggjs/session ${versionOf('@eggjs/session')}, ` +
      `autocannon ${versionOf('autocannon')}. ` +
      `Load average before/after the run: ${loadBefore.map(l => l.toFixed(1)).join(' ')} / ${os.loadavg().map(l => l.toFixed(1)).join(' ')} ` +
      '(the client, the server and redis-server share these cores).',
    `${settings.rounds} interleaved rounds, ${settings.duration} s of load per variant per round after a ${settings.warmup} s warm-up ` +
      `(twice that in round 1), ${settings.connections} connections, every server a single egg process in the \`prod\` env on 127.0.0.1.`,
    '',
    'req/s, p99 and CPU are medians over the rounds; ratios are medians of per-round ratios (both variants ran in the same round).',
    'Server CPU is the `process.cpuUsage()` delta of the server process divided by the requests it answered. ' +
      'Peak RSS is the server\'s `maxRSS`. Redis commands (also those a Lua script runs) and redis-server CPU per request come from ' +
      '`INFO commandstats` and `INFO cpu` of the bench\'s own redis-server.',
    '',
    'Reading the numbers:',
    '- `server busy %` is the share of one core the server used during the load: near 100 % the server was the limit, ' +
      'well below it the client (autocannon, on the same machine) was.',
    '- Fixed-cookie variants send the cookie from /login with every request. egg-session-plus keeps the plaintext of a cookie ' +
      'it has opened twice, so from then on it does not decrypt it again (as for a browser that only reads its session). ' +
      '`-chain` variants send the cookie of the previous response, as a browser does: with writes that is a new cookie ' +
      'every time, so every request decrypts one.',
    `- The README Redis store keeps a signed session-id cookie (HMAC and a \`.sig\` cookie); egg-session-plus ${idCookieNote(results)}. ` +
      'With `store: \'redis\'` session control (the per-user session index) is on by default: a save writes the index when the ' +
      'session is new, changes user or lifetime, or was last indexed more than `control.touchInterval` (60 s) ago; ' +
      '`ours-redis-nocontrol-rw` turns it off.',
    '',
    resultsTable(variants, results),
    '',
    '## Targets',
    '',
    targetsTable(targets),
    ...(existsSync(MISSED_TARGETS_FILE) ? [ '', readFileSync(MISSED_TARGETS_FILE, 'utf8').trim() ] : []),
    ...(profiles.length ? [ '', '## CPU profiles', '',
      'V8 CPU profiles (the profiler `node --cpu-prof` uses, 200 µs sampling) of one measured load on a fresh server, ' +
      'percentages of the server\'s busy CPU.', '', profiles.join('\n\n') ] : []),
    '',
  ].join('\n');
}

async function main() {
  if (!existsSync(path.join(ROOT, 'dist', 'esm', 'app.js')) || !existsSync(path.join(ROOT, 'dist', 'commonjs', 'app.js'))) {
    throw new Error('No build in dist/: run `npm run bench` (it builds first) or `npm run build`.');
  }
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  let variants = altVariants(selectedVariants());
  const context = { tmpDir: mkdtempSync(path.join(os.tmpdir(), 'egg-session-bench-')) };
  const results = new Map();
  let redis;
  process.once('SIGINT', () => {
    killAllServers();
    if (redis) process.kill(redis.pid, 'SIGKILL');
    process.exit(130);
  });

  try {
    const profiled = args.profile ? args.profile.split(',') : [];
    if ([ ...variants, ...VARIANTS.filter(v => profiled.includes(v.name)) ].some(v => v.redis)) {
      if (redisAvailable()) {
        redis = await startRedisServer();
        context.redisPort = redis.port;
        log(`redis-server pid ${redis.pid} on 127.0.0.1:${redis.port}`);
      } else {
        for (const v of variants.filter(v => v.redis)) results.set(v.name, { skipped: 'redis-server not installed', rounds: [] });
        variants = variants.filter(v => !v.redis);
      }
    }
    context.variants = variants;
    const reported = [ ...variants, ...VARIANTS.filter(v => results.has(v.name) && !variants.some(r => r.name === v.name)) ];
    await runRounds(variants, context, results);

    const targets = evaluateTargets(TARGETS, results);
    const toProfile = new Set(profiled);
    if (!args['no-profile']) for (const t of targets) if (t.met === false && t.ratio) toProfile.add(t.variant);
    const profiles = await profileVariants([ ...toProfile ], context);

    const report = renderReport({ variants: reported, results, targets, profiles, startedAt, loadBefore });
    process.stdout.write(`\n${report}`);
    if (write) {
      writeFileSync(RESULTS_FILE, report);
      log(`\nwritten to ${path.relative(process.cwd(), RESULTS_FILE)}`);
    }
  } finally {
    killAllServers();
    await redis?.stop().catch(() => undefined);
    rmSync(context.tmpDir, { recursive: true, force: true });
  }
}

main().catch(error => {
  killAllServers();
  console.error(error);
  process.exit(1);
});
