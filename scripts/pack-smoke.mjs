#!/usr/bin/env node
// Packs the package (built in a temp copy of the tree) and installs the tarball into throwaway
// plain-JS egg 4 apps: ESM and CommonJS via `package: 'egg-session-plus'`, and CommonJS via an npm
// `overrides` entry with a stock `session: true`. Each app boots and must serve sealed sessions;
// one more (ESM, prod) serves them from the built-in Redis store through @eggjs/redis and its own redis-server,
// and one (ESM) installs the package from a git URL of a snapshot of the tree (npm runs `prepare`, which builds).
// Two TypeScript apps (one per route) must compile against the packed declarations.
// The apps are written per variant from two templates (scripts/pack/consumer-app.mjs).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { packTarball } from './pack/tarball.mjs';
import { installApp } from './pack/throwaway-app.mjs';
import { REDIS_PREFIX, writeConsumerApp, writeTypesApp } from './pack/consumer-app.mjs';
import { gitSource } from './pack/git-source.mjs';
import { startApp } from './pack/app-process.mjs';
import { probeRedisSession, probeSealedSession } from './pack/session-probe.mjs';
// the bench's private redis-server (free loopback port, nothing on disk, stopped by PID)
import { redisAvailable as hasRedisServer, startRedisServer } from '../bench/lib/redis-server.mjs';
import { readBootEvidence } from './pack/boot-evidence.mjs';
import { run } from './pack/run.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const SMOKE_APPS = [
  { name: 'esm-app', route: 'package', flavour: 'esm' },
  { name: 'cjs-app', route: 'package', flavour: 'commonjs', prod: true },
  { name: 'overrides-app', route: 'overrides', flavour: 'commonjs' },
  { name: 'redis-app', route: 'package', flavour: 'esm', prod: true, store: 'redis' },
  { name: 'git-app', route: 'package', flavour: 'esm', source: 'git' },
];

export { hasRedisServer };

export function makeWorkDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'esp-pack-'));
}

export { packTarball };

/** The version installed in the repo, so the throwaway installs hit the npm cache. */
function installedVersion(name) {
  return JSON.parse(fs.readFileSync(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')).version;
}

/**
 * egg 4.1 imports `@eggjs/session` and spreads `...sessionPlugin()` (its default export): the installed
 * package's default export, from either build, must give the folder of that build's plugin files.
 */
async function checkPluginFactory(pkgRoot) {
  const esm = await import(pathToFileURL(path.join(pkgRoot, 'dist', 'esm', 'index.js')).href);
  const cjs = createRequire(import.meta.url)(path.join(pkgRoot, 'dist', 'commonjs', 'index.js'));
  for (const [ flavour, factory ] of [ [ 'esm', esm.default ], [ 'commonjs', cjs.default ] ]) {
    const { session } = factory();
    assert.equal(session.name, 'session');
    assert.equal(session.enable, true);
    assert.equal(session.path, path.join(pkgRoot, 'dist', flavour), `${flavour} build's plugin path`);
    assert.ok(fs.existsSync(path.join(session.path, 'app.js')) && fs.existsSync(path.join(session.path, 'config', 'config.default.js')));
  }
}

/** Every file below `dir`, relative to it, with `/` separators. */
function filesUnder(dir, rel = '') {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap(entry => {
    const file = rel ? `${rel}/${entry.name}` : entry.name;
    return entry.isDirectory() ? filesUnder(dir, file) : [ file ];
  });
}

/**
 * The git route: npm cloned the snapshot, ran `prepare` (the build and the egg 3 shims) and installed
 * exactly the files the packed tarball holds.
 */
function checkGitInstall(app, source, tarball) {
  const lock = JSON.parse(fs.readFileSync(path.join(app.dir, 'package-lock.json'), 'utf8'));
  const resolved = lock.packages['node_modules/egg-session-plus']?.resolved ?? '';
  assert.ok(resolved.startsWith(`${source.git}#`), `egg-session-plus resolved from ${resolved}, not ${source.git}`);
  const installed = filesUnder(path.join(app.dir, 'node_modules', 'egg-session-plus')).sort();
  assert.deepEqual(installed, [ ...tarball.files ].sort(), 'the git install holds the files the packed tarball holds');
}

/** Installs the plugin into one throwaway app, boots it and checks it over HTTP and in its logs. */
export async function smokeApp(spec, tarball, workDir) {
  const started = Date.now();
  const dir = path.join(workDir, spec.name);
  const source = spec.source === 'git' ? { git: (await gitSource(repoRoot, workDir)).url } : { tarball: tarball.path };
  // the Redis variant's config names its server's port
  const redisServer = spec.store === 'redis' ? await startRedisServer() : undefined;
  let cookie;
  let url;
  let app;
  try {
    writeConsumerApp(spec, dir, { redisPort: redisServer?.port });
    app = await installApp(dir, {
      route: spec.route,
      source,
      eggVersion: installedVersion('egg'),
      dependencies: spec.store === 'redis' ? { '@eggjs/redis': installedVersion('@eggjs/redis') } : undefined,
    });
    // prod logs to <EGG_HOME>/logs/<app>: keep that inside the temp dir
    const env = spec.prod ? { EGG_SERVER_ENV: 'prod', EGG_HOME: app.dir } : { EGG_SERVER_ENV: 'local' };
    const server = await startApp(app.dir, { env });
    url = server.url;
    try {
      cookie = redisServer ? await probeWithRedis(server.url, redisServer.port) : await probeSealedSession(server.url);
    } finally {
      await server.stop(); // also flushes prod's buffered file logs
    }
  } finally {
    await redisServer?.stop();
  }
  const evidence = readBootEvidence(app.dir, app.name);
  const version = tarball.version.replaceAll('.', '\\.');
  const cookieLine = spec.store === 'redis' ? 'session id, uuid shape checked' : 'aes-256-gcm';
  assert.match(evidence.bootLine, new RegExp(`\\[egg-session-plus\\] egg-session-plus@${version} serving sessions, store: ${spec.store ?? 'cookie'}, cookie: ${cookieLine}`),
    `boot line missing from ${evidence.logFile}`);
  const pkgDir = spec.route === 'overrides' ? '@eggjs/session' : 'egg-session-plus';
  assert.equal(evidence.plugin.path, path.join(app.dir, 'node_modules', pkgDir, 'dist', spec.flavour));
  await checkPluginFactory(path.join(app.dir, 'node_modules', pkgDir));
  assert.equal(evidence.plugin.version, tarball.version);
  assert.equal(evidence.config.encrypt, true, 'config.session.encrypt (a key only this plugin keeps)');
  if (source.git) checkGitInstall(app, source, tarball);
  return { app: spec.name, url, cookie, bootLine: evidence.bootLine.trim(), plugin: evidence.plugin,
    ms: Date.now() - started };
}

async function probeWithRedis(url, port) {
  const { default: Redis } = await import('ioredis');
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
  try {
    await redis.connect();
    return await probeRedisSession(url, redis, REDIS_PREFIX);
  } finally {
    redis.disconnect();
  }
}

/** TypeScript apps compiled against the tarball's declarations, as ESM (NodeNext) and CommonJS (Node10). */
export const TS_CONSUMERS = [
  { name: 'ts-app', route: 'package' },
  { name: 'ts-overrides-app', route: 'overrides' },
];

export async function typecheckConsumer(spec, tarball, workDir) {
  const started = Date.now();
  const dir = path.join(workDir, spec.name);
  writeTypesApp(spec, dir);
  const app = await installApp(dir, {
    route: spec.route,
    source: { tarball: tarball.path },
    eggVersion: installedVersion('egg'),
    devDependencies: { typescript: installedVersion('typescript'), '@types/node': installedVersion('@types/node') },
  });
  const tsc = path.join(app.dir, 'node_modules', 'typescript', 'bin', 'tsc');
  await Promise.all([ 'tsconfig.json', 'tsconfig.cjs.json' ].map(project =>
    run(process.execPath, [ tsc, '-p', project ], { cwd: app.dir })));
  return { app: spec.name, ms: Date.now() - started };
}

function skipRedis() {
  if (process.env.REQUIRE_REDIS === '1') throw new Error('no redis-server binary, and REQUIRE_REDIS=1');
  console.warn('[pack-smoke] SKIPPED redis-app: no redis-server binary on PATH');
  return false;
}

async function main() {
  const began = Date.now();
  const workDir = makeWorkDir();
  console.log(`[pack-smoke] work dir ${workDir}`);
  const tarball = await packTarball(repoRoot, workDir);
  console.log(`[pack-smoke] packed ${path.basename(tarball.path)} (${tarball.files.length} files) in ${Date.now() - began} ms`);
  const [ types, results ] = await Promise.all([
    Promise.all(TS_CONSUMERS.map(spec => typecheckConsumer(spec, tarball, workDir))),
    Promise.all(SMOKE_APPS.filter(spec => spec.store !== 'redis' || hasRedisServer() || skipRedis())
      .map(spec => smokeApp(spec, tarball, workDir))),
  ]);
  for (const result of types) {
    console.log(`[pack-smoke] ok ${result.app} (${result.ms} ms): the declarations typecheck as ESM and CommonJS`);
  }
  for (const result of results) {
    console.log(`[pack-smoke] ok ${result.app} (${result.ms} ms): plugin from ${result.plugin.path}`);
    console.log(`    cookie ${result.cookie.slice(0, 40)}...`);
    console.log(`    log    ${result.bootLine}`);
  }
  fs.rmSync(workDir, { recursive: true, force: true });
  console.log(`[pack-smoke] passed in ${((Date.now() - began) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch(err => {
    console.error('[pack-smoke] FAILED (work dir kept for inspection):\n', err);
    process.exitCode = 1;
  });
}
