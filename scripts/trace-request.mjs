#!/usr/bin/env node
// Traces ONE session read+write request through the plugin and counts its file boundary crossings
// (issue 21's bar: a Redis read+write with session control crosses <= 60 file boundaries and looks the
// owner up from ctx at most twice), beside the same for a sealed-cookie read+write.
//
//   node scripts/trace-request.mjs                   build this tree in a temp copy and trace it
//   node scripts/trace-request.mjs --plugin DIR      trace a built plugin root (DIR/dist/esm) instead
//   node scripts/trace-request.mjs --against DIR     also trace DIR's build and print both side by side
//   options: --json (the results as JSON on stdout), --sequence (every crossing in order),
//            --top N (rows per table, default 12), --max-pauses N (default 100,000 per request)
//
// What runs. The plugin is BUILT: dist/ never appears in the source tree (the tree is rsynced to a temp dir
// without node_modules/dist/.git, node_modules symlinked, `npm run build` there). A build is what an app runs,
// the build from before the redesign (--against) can only be compared build to build, and tsc emits one .js per
// .ts, so the build's file boundaries are the source's (a TypeScript loader would add its own frames and maps).
// Each variant boots a minimal ESM egg app (prod env, one process; egg and @eggjs/redis from this repo's
// node_modules) in a child process:
//   redis  = session: { store: 'redis', redis: { prefix: '<unique>:' } } with @eggjs/redis on its own
//            redis-server (spare port below 32768, nothing on disk); session control is on (its default with
//            store 'redis'). Stepping makes the request take seconds, so storeTimeout is 60 s (the most the
//            config allows) and control.touchInterval 1 h: no deadline fires and no index touch falls due
//            mid-trace, and the traced request is the warm path a request seconds after the previous one takes.
//   cookie = session: {} (sealed cookie, no store, no session control).
// The driver signs in (GET /login sets ctx.session.userId), sends two untraced read+writes (GET /rw increments
// ctx.session.count; module caches and Redis scripts are then warm), arms the tracer, sends the traced GET /rw,
// and checks its answer, the Redis commands it caused (CONFIG RESETSTAT before, INFO commandstats 300 ms after)
// and that the stored session holds the new count.
//
// How it counts. A worker_thread in the app process drives the main thread's V8 inspector (node:inspector
// Session.connectToMainThread(): no WebSocket client, no new dependency). It sets a breakpoint on every break
// location (Debugger.getPossibleBreakpoints of the whole script) of every plugin file (dist/esm/{lib,app,config}/**,
// app.js, index.js) and koa-session file (node_modules/koa-session/dist/**), and resumes at every pause. The
// harness's request handler calls traceStart() (a `debugger` statement) just before egg's app.callback() handler
// gets the request, and a 'finish' listener registered before egg's own calls traceEnd(); the pauses between the
// two are the request. (Debugger.stepInto with everything else blackboxed looks simpler but misses code: at an
// `await` that suspends, V8 stops stepping until that async function resumes, so what its callers and other
// callbacks run meanwhile is never seen; and node's internals, built into the startup snapshot, cannot be
// blackboxed. Breakpoints see every statement of the counted files, whoever runs it.)
// At each pause the plugin stack is the call frames whose script is a plugin or koa-session file, bottom first;
// other frames (egg, koa, the app's routes, ioredis, node) are transparent. Between two pauses execution went
// from the previous plugin stack to this one: the frames above their deepest common frame returned one by one,
// then the new ones were called (a caller frame now at another call site had control back in between; stacks with
// no common frame mean the previous one returned to non-plugin code, and non-plugin code - a promise job, an
// event, a timer - resumed or called the new one). Along that path:
//   crossings      = each call, return or resume that changes the file of the current plugin frame, so
//                    A -> egg -> B counts once, and a getter that returns and is called again without a pause
//                    in its caller still counts both moves; split into calls / returns / resumes (an async
//                    continuation or callback started from outside the plugin);
//   files entered  = crossings into each file (+1 for the first file the request enters);
//   function calls = pauses at a function's first break location, one per call;
//   owner lookups  = calls of the functions that find the request's owner on ctx: ctxOwner/peekOwner in
//                    lib/request/setup.js, or requestSessionOf/peekRequestSession in lib/request-session.js in
//                    the build before the redesign. Counted as pauses at their first statement and, separately,
//                    as frames of theirs pushed along the paths; the script fails if the two differ.
// Plugin code that runs in the 300 ms after the response (timers, unawaited writes) is listed apart.
// Everything is bounded (pauses per request, deadlines for boots, requests and the trace) and every process
// started here (redis-server, app children) is stopped by its PID, also on failure or Ctrl-C.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const SCRIPT = fileURLToPath(import.meta.url);
const HARNESS_URL = pathToFileURL(SCRIPT).href;
const REPO = path.resolve(path.dirname(SCRIPT), '..');

const OWNER_LOOKUPS = [
  { file: 'lib/request/setup.js', functions: [ 'ctxOwner', 'peekOwner' ] },
  { file: 'lib/request-session.js', functions: [ 'requestSessionOf', 'peekRequestSession' ] },
];
const TAIL_MS = 300;
const LIMITS = {
  bootMs: 60_000,
  requestMs: 10_000,
  traceMs: 300_000,
  stopMs: 5_000,
};

// ---------------------------------------------------------------------------------------------------------------
// driver: builds, starts redis-server, runs each variant in a child, prints the report

function parseArgs(argv) {
  const args = { plugin: undefined, against: undefined, json: false, sequence: false, top: 12, maxPauses: 100_000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--plugin') args.plugin = path.resolve(value());
    else if (arg === '--against') args.against = path.resolve(value());
    else if (arg === '--json') args.json = true;
    else if (arg === '--sequence') args.sequence = true;
    else if (arg === '--top') args.top = Number(value());
    else if (arg === '--max-pauses') args.maxPauses = Number(value());
    else if (arg === '--help' || arg === '-h') {
      console.log(fs.readFileSync(SCRIPT, 'utf8').split('\nimport ')[0].replace(/^#!.*\n/, '').replace(/^\/\/ ?/gm, ''));
      process.exit(0);
    } else throw new Error(`unknown argument ${arg} (see --help)`);
  }
  if (!Number.isInteger(args.top) || args.top < 1) throw new Error('--top needs a positive integer');
  if (!Number.isInteger(args.maxPauses) || args.maxPauses < 1) throw new Error('--max-pauses needs a positive integer');
  return args;
}

const children = new Set();

function killChildren() {
  for (const child of children) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}

async function runDriver() {
  const args = parseArgs(process.argv.slice(2));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'esp-trace-'));
  process.on('exit', killChildren);
  for (const signal of [ 'SIGINT', 'SIGTERM' ]) {
    process.on(signal, () => {
      killChildren();
      fs.rmSync(work, { recursive: true, force: true });
      process.exit(130);
    });
  }
  let redis;
  try {
    const targets = [];
    targets.push({ label: args.plugin ? 'plugin' : 'this tree', dir: args.plugin ?? buildTree(REPO, path.join(work, 'tree')) });
    if (args.against) targets.push({ label: 'against', dir: args.against });
    for (const target of targets) target.info = describePlugin(target.dir);
    if (targets.length === 2) {
      targets[0].label = targets[0].info.ownerFile === targets[1].info.ownerFile ? 'A' : 'after';
      targets[1].label = targets[0].label === 'A' ? 'B' : 'before';
    }
    redis = await startRedisServer(path.join(work, 'redis'));
    for (const target of targets) {
      target.results = {};
      for (const variant of [ 'redis', 'cookie' ]) {
        process.stderr.write(`tracing ${variant} read+write on ${target.dir} ... `);
        const started = Date.now();
        target.results[variant] = await traceVariant({ target, variant, redis, work, args });
        process.stderr.write(`${target.results[variant].pauses} pauses, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      }
    }
    if (args.json) console.log(JSON.stringify(targets.map(({ label, dir, info, results }) => ({ label, dir, info, results })), null, 2));
    else console.log(report(targets, args));
  } finally {
    await redis?.stop().catch(() => undefined);
    killChildren();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Copies the tree (no node_modules, dist, .git) to `dest`, links node_modules, builds there. */
function buildTree(source, dest) {
  fs.mkdirSync(dest, { recursive: true });
  execFileSync('rsync', [ '-a', '--exclude', 'node_modules', '--exclude', 'dist', '--exclude', '.git', `${source}/`, `${dest}/` ]);
  fs.symlinkSync(fs.realpathSync(path.join(source, 'node_modules')), path.join(dest, 'node_modules'));
  process.stderr.write(`building ${source} in ${dest} ... `);
  const build = spawnSync('npm', [ 'run', 'build' ], { cwd: dest, encoding: 'utf8', timeout: 300_000 });
  if (build.status !== 0) throw new Error(`npm run build failed (status ${build.status})\n${build.stdout}\n${build.stderr}`);
  process.stderr.write('done\n');
  return dest;
}

/** Where a built plugin's files are, which owner lookup functions it has, and koa-session's folder. */
function describePlugin(dir) {
  const root = fs.realpathSync(dir);
  const dist = path.join(root, 'dist', 'esm');
  if (!fs.existsSync(path.join(dist, 'app.js'))) throw new Error(`${dir} has no dist/esm/app.js: not a built plugin root`);
  const owner = OWNER_LOOKUPS.find(candidate => fs.existsSync(path.join(dist, candidate.file)));
  if (!owner) throw new Error(`${dir}: none of ${OWNER_LOOKUPS.map(candidate => candidate.file).join(', ')} in dist/esm`);
  const koaEntry = createRequire(path.join(root, 'package.json')).resolve('koa-session');
  let koaSession = path.dirname(fs.realpathSync(koaEntry));
  for (let i = 0; i < 5 && path.basename(koaSession) !== 'koa-session'; i++) koaSession = path.dirname(koaSession);
  if (path.basename(koaSession) !== 'koa-session') throw new Error(`koa-session's folder not found from ${koaEntry}`);
  const files = walk(dist).filter(file => file.endsWith('.js')).map(file => path.relative(dist, file));
  return { root, dist, koaSession, ownerFile: owner.file, ownerFunctions: owner.functions, jsFiles: files.length };
}

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : [ full ];
  });
}

// below Linux's ephemeral range (32768-60999), as test/helpers/redis.ts does
async function freePort() {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const free = await new Promise(resolve => {
      const server = net.createServer();
      server.unref();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port below 32768');
}

function redisCli(port, ...args) {
  return execFileSync('redis-cli', [ '-h', '127.0.0.1', '-p', String(port), ...args ], { encoding: 'utf8', timeout: 5000, stdio: [ 'ignore', 'pipe', 'ignore' ] });
}

async function startRedisServer(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
  ], { stdio: 'ignore' });
  children.add(child);
  const exited = new Promise(resolve => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, 'SIGTERM');
      await Promise.race([ exited, sleep(LIMITS.stopMs) ]);
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
    }
    children.delete(child);
  };
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    try {
      if (redisCli(port, 'PING').trim() === 'PONG') return { port, pid: child.pid, stop };
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  await stop();
  throw new Error('redis-server did not answer PING within 5 s');
}

function writeApp(appDir, { pluginRoot, variant, redisPort, prefix }) {
  const session = variant === 'redis'
    ? { store: 'redis', redis: { prefix }, storeTimeout: 60_000, control: { touchInterval: 3_600_000 } }
    : {};
  const config = {
    keys: 'trace-key-0123456789abcdef',
    rundir: path.join(appDir, 'run'),
    logger: { dir: path.join(appDir, 'logs') },
    session,
    ...(variant === 'redis' ? { redis: { client: { host: '127.0.0.1', port: redisPort, password: '', db: 0 } } } : {}),
  };
  const plugins = {
    session: { enable: true, path: pluginRoot },
    redis: { enable: variant === 'redis', package: '@eggjs/redis' },
  };
  fs.mkdirSync(path.join(appDir, 'config'), { recursive: true });
  fs.mkdirSync(path.join(appDir, 'app'), { recursive: true });
  fs.writeFileSync(path.join(appDir, 'package.json'), JSON.stringify({ name: 'trace-app', private: true, type: 'module' }));
  fs.writeFileSync(path.join(appDir, 'config', 'config.default.js'), `export default ${JSON.stringify(config, null, 2)};\n`);
  fs.writeFileSync(path.join(appDir, 'config', 'plugin.js'), `export default ${JSON.stringify(plugins, null, 2)};\n`);
  fs.writeFileSync(path.join(appDir, 'app', 'router.js'), `export default app => {
  app.router.get('/login', ctx => {
    ctx.session.userId = 'u-trace';
    ctx.body = { ok: true };
  });
  app.router.get('/rw', ctx => {
    const session = ctx.session;
    session.count = (session.count || 0) + 1;
    ctx.body = { user: session.userId ?? null, count: session.count };
  });
};
`);
  fs.symlinkSync(fs.realpathSync(path.join(REPO, 'node_modules')), path.join(appDir, 'node_modules'));
}

function startApp({ appDir, info, maxPauses }) {
  const child = spawn(process.execPath, [ SCRIPT, '--role=app' ], {
    stdio: [ 'ignore', 'pipe', 'pipe', 'ipc' ],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      EGG_SERVER_ENV: 'prod',
      TRACE_APP_DIR: appDir,
      TRACE_PLUGIN: JSON.stringify({ ...info, maxPauses, traceMs: LIMITS.traceMs }),
    },
  });
  children.add(child);
  let output = '';
  const collect = chunk => { output = (output + chunk).slice(-6000); };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const messages = [];
  const waiters = [];
  child.on('message', message => {
    const index = waiters.findIndex(waiter => waiter.type === message?.type || message?.type === 'error');
    if (index >= 0) waiters.splice(index, 1)[0].resolve(message);
    else messages.push(message);
  });
  const exited = new Promise(resolve => child.once('exit', code => {
    children.delete(child);
    for (const waiter of waiters.splice(0)) waiter.reject(new Error(`app process exited (code ${code}) while waiting for ${waiter.type}\n${output}`));
    resolve(code);
  }));
  const next = (type, timeoutMs) => {
    const queued = messages.findIndex(message => message.type === type || message.type === 'error');
    const got = queued >= 0 ? Promise.resolve(messages.splice(queued, 1)[0]) : new Promise((resolve, reject) => {
      if (child.exitCode !== null) return reject(new Error(`app process is gone\n${output}`));
      const waiter = { type, resolve, reject };
      waiters.push(waiter);
      setTimeout(() => {
        const at = waiters.indexOf(waiter);
        if (at >= 0) waiters.splice(at, 1);
        reject(new Error(`no '${type}' from the app process within ${timeoutMs} ms\n${output}`));
      }, timeoutMs).unref();
    });
    return got.then(message => {
      if (message.type === 'error') throw new Error(`app process: ${message.message}\n${output}`);
      return message;
    });
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      if (child.connected) child.send({ type: 'stop' });
      else process.kill(child.pid, 'SIGTERM');
      await Promise.race([ exited, sleep(LIMITS.stopMs) ]);
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
      await Promise.race([ exited, sleep(LIMITS.stopMs) ]);
    }
  };
  return { child, next, stop, send: message => child.send(message) };
}

/** GET `path` on the app with the cookie jar; updates the jar from Set-Cookie. */
function get(port, urlPath, jar, timeoutMs = LIMITS.requestMs) {
  return new Promise((resolve, reject) => {
    const cookie = [ ...jar ].map(([ name, value ]) => `${name}=${value}`).join('; ');
    const request = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, headers: cookie ? { cookie } : {}, timeout: timeoutMs }, response => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', chunk => { body += chunk; });
      response.on('end', () => {
        for (const line of response.headers['set-cookie'] ?? []) {
          const [ pair, ...attributes ] = line.split(';');
          const at = pair.indexOf('=');
          const name = pair.slice(0, at).trim();
          const value = pair.slice(at + 1).trim();
          const expired = attributes.some(attribute => /^\s*expires=Thu, 01 Jan 1970/i.test(attribute));
          if (!value || expired) jar.delete(name);
          else jar.set(name, value);
        }
        resolve({ status: response.statusCode, body, setCookies: response.headers['set-cookie']?.length ?? 0 });
      });
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${urlPath}: no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}

function commandStats(port) {
  const stats = {};
  for (const match of redisCli(port, 'INFO', 'commandstats').matchAll(/^cmdstat_([\w|-]+):calls=(\d+)/gm)) {
    if (!/^(info|config)\b/.test(match[1])) stats[match[1]] = Number(match[2]);
  }
  return stats;
}

/** The string keys under `prefix` whose value holds `"count":<count>` (the stored session after the traced write). */
function storedSessionsWithCount(port, prefix, count) {
  const keys = redisCli(port, '--scan', '--pattern', `${prefix}*`).split('\n').filter(Boolean);
  return keys.filter(key => redisCli(port, 'TYPE', key).trim() === 'string' && redisCli(port, 'GET', key).includes(`"count":${count}`));
}

async function traceVariant({ target, variant, redis, work, args }) {
  const appDir = path.join(work, `app-${target.label.replace(/\W+/g, '-')}-${variant}`);
  const prefix = `trace-${process.pid}-${Math.random().toString(36).slice(2, 8)}:`;
  writeApp(appDir, { pluginRoot: target.info.root, variant, redisPort: redis.port, prefix });
  const app = startApp({ appDir, info: target.info, maxPauses: args.maxPauses });
  try {
    const { port } = await app.next('ready', LIMITS.bootMs);
    const jar = new Map();
    const expectOk = (response, what) => {
      if (response.status !== 200) throw new Error(`${what}: HTTP ${response.status} ${response.body}`);
      return JSON.parse(response.body);
    };
    expectOk(await get(port, '/login', jar), 'GET /login');
    if (!jar.size) throw new Error('GET /login set no cookie');
    for (let i = 1; i <= 2; i++) {
      const body = expectOk(await get(port, '/rw', jar), `warm-up GET /rw ${i}`);
      if (body.count !== i || body.user !== 'u-trace') throw new Error(`warm-up GET /rw ${i} answered ${JSON.stringify(body)}`);
    }
    if (variant === 'redis') redisCli(redis.port, 'CONFIG', 'RESETSTAT');
    app.send({ type: 'arm' });
    await app.next('armed', LIMITS.requestMs);
    const traced = await get(port, '/rw', jar, LIMITS.traceMs + LIMITS.requestMs);
    const body = expectOk(traced, 'traced GET /rw');
    if (body.count !== 3 || body.user !== 'u-trace') throw new Error(`traced GET /rw answered ${JSON.stringify(body)}`);
    const { trace } = await app.next('trace', LIMITS.traceMs);
    if (trace.error) throw new Error(`trace: ${trace.error}`);
    if (variant === 'redis') {
      await sleep(300); // writes the request started but did not wait for
      trace.redisCommands = commandStats(redis.port);
      trace.storedWithCount = storedSessionsWithCount(redis.port, prefix, 3).length;
      if (!trace.storedWithCount) throw new Error(`no session under ${prefix} holds "count":3 after the traced write`);
      if (!Object.keys(trace.redisCommands).length) throw new Error('the traced request sent no Redis command');
    } else if (!traced.setCookies) {
      throw new Error('the traced cookie read+write sent no Set-Cookie');
    }
    trace.response = { status: traced.status, setCookies: traced.setCookies, body };
    return trace;
  } finally {
    await app.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// app process: the egg app and its HTTP server (main thread) with the tracer (worker thread)

function traceStart() {
  debugger; // eslint-disable-line no-debugger -- the tracer starts stepping here
}

function traceEnd() {
  debugger; // eslint-disable-line no-debugger -- the tracer stops stepping here
}

async function runApp() {
  const info = JSON.parse(process.env.TRACE_PLUGIN);
  const fail = error => {
    process.send?.({ type: 'error', message: error?.stack ?? String(error) });
    setTimeout(() => process.exit(1), 100);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  const { start } = await import('egg');
  const app = await start({ baseDir: process.env.TRACE_APP_DIR, env: 'prod' });
  const handler = app.callback();
  const tracer = new Worker(SCRIPT, { workerData: { role: 'tracer', harnessUrl: HARNESS_URL, ...info } });
  tracer.on('error', fail);
  const tracerMessage = type => new Promise(resolve => {
    const onMessage = message => {
      if (message?.type !== type) return;
      tracer.off('message', onMessage);
      resolve(message);
    };
    tracer.on('message', onMessage);
  });
  await tracerMessage('ready');
  let armed = false;
  const server = http.createServer((req, res) => {
    if (!armed || req.url !== '/rw') return handler(req, res);
    armed = false;
    tracerMessage('trace').then(({ trace }) => process.send({ type: 'trace', trace }));
    res.once('finish', traceEnd); // before egg's own listeners: the trace ends when the response has been sent
    traceStart();
    handler(req, res);
  });
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  const stop = async () => {
    setTimeout(() => process.exit(0), LIMITS.stopMs).unref();
    server.closeAllConnections();
    server.close();
    await tracer.terminate().catch(() => undefined);
    await app.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('message', message => {
    if (message?.type === 'arm') {
      armed = true;
      process.send({ type: 'armed' });
    } else if (message?.type === 'stop') {
      stop();
    }
  });
  process.on('disconnect', stop);
  process.send({ type: 'ready', port: server.address().port });
}

// ---------------------------------------------------------------------------------------------------------------
// tracer (worker thread): steps the main thread through the traced request and counts

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const sameLocation = (a, b) => a.lineNumber === b.lineNumber && a.columnNumber === b.columnNumber;

/**
 * The files the current plugin frame is in while execution goes from the plugin stack `from` to `to`
 * (bottom first): the frames above their deepest common frame return one by one, then the new ones are
 * called. A frame below both tops that sits at another call site than before has had control back and
 * called again, so it is where the paths meet. With no common frame, `from` returned to non-plugin code
 * and non-plugin code called or resumed `to`.
 */
function pathBetween(from, to) {
  let common = -1;
  for (let i = 0; i < Math.min(from.length, to.length); i++) {
    if (from[i].key !== to[i].key) break;
    common = i;
    if (i < from.length - 1 && i < to.length - 1 && !sameLocation(from[i].location, to[i].location)) break;
  }
  const steps = [];
  for (let i = from.length - 1; i > common; i--) {
    const into = i > 0 ? from[i - 1] : undefined;
    if (into) steps.push({ kind: 'return', from: from[i], to: into, viaOther: from[i].depth !== into.depth + 1 });
  }
  if (common < 0 && from.length && to.length) steps.push({ kind: 'resume', from: from[0], to: to[0], viaOther: true, pushed: true });
  for (let i = common < 0 ? 1 : common + 1; i < to.length; i++) {
    steps.push({ kind: 'call', from: to[i - 1], to: to[i], viaOther: to[i].depth !== to[i - 1].depth + 1, pushed: true });
  }
  return steps;
}

async function runTracer(options) {
  const inspector = await import('node:inspector');
  const distUrl = `${pathToFileURL(options.dist).href}/`;
  const koaUrl = `${pathToFileURL(options.koaSession).href}/dist/`;
  const counted = new RegExp(`^(?:${escapeRegExp(distUrl)}(?:(?:lib|app|config)/.+|app\\.js|index\\.js)|${escapeRegExp(koaUrl)}.+)$`);
  const labelOf = url => url.startsWith(distUrl) ? url.slice(distUrl.length) : `koa-session/dist/${url.slice(koaUrl.length)}`;

  // the worker stays alive while it has a listener on parentPort
  parentPort.on('message', () => undefined);
  const session = new inspector.Session();
  session.connectToMainThread();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (error, result) => error ? reject(error) : resolve(result)));
  const scripts = new Map();
  let armed = false;
  const lateScripts = [];
  session.on('Debugger.scriptParsed', ({ params }) => {
    scripts.set(params.scriptId, params.url);
    if (armed && counted.test(params.url)) lateScripts.push(params.url);
  });
  await post('Debugger.enable');

  // a breakpoint on every break location of every plugin and koa-session script
  const firstLocations = new Map(); // function location -> its first break location
  let breakpoints = 0;
  const countedScripts = [ ...scripts ].filter(([ , url ]) => counted.test(url));
  for (const [ scriptId ] of countedScripts) {
    const { locations } = await post('Debugger.getPossibleBreakpoints', { start: { scriptId, lineNumber: 0, columnNumber: 0 } });
    await Promise.all(locations.map(({ lineNumber, columnNumber }) => post('Debugger.setBreakpoint', { location: { scriptId, lineNumber, columnNumber } })));
    breakpoints += locations.length;
  }
  armed = true;
  const ownerUrl = `${distUrl}${options.ownerFile}`;
  if (!countedScripts.some(([ , url ]) => url === ownerUrl)) throw new Error(`${options.ownerFile} is not loaded in the app`);

  async function isFunctionEntry(frame) {
    const at = frame.functionLocation;
    if (!at) return false;
    const key = `${at.scriptId}:${at.lineNumber}:${at.columnNumber}`;
    if (!firstLocations.has(key)) {
      const { locations } = await post('Debugger.getPossibleBreakpoints', { start: at, restrictToFunction: true });
      firstLocations.set(key, locations[0] ?? null);
    }
    const first = firstLocations.get(key);
    return Boolean(first) && sameLocation(first, frame.location);
  }

  const urlOf = frame => scripts.get(frame.location.scriptId) ?? frame.url ?? '';
  const nameOf = frame => frame.functionName || '(anonymous)';
  const isOwnerLookup = frame => frame.file === options.ownerFile && options.ownerFunctions.includes(frame.name);
  let state = 'idle';
  let started = 0;
  let trace;

  function newTrace() {
    return {
      breakpoints,
      pauses: 0,
      crossings: { total: 0, call: 0, return: 0, resume: 0, viaOther: 0 },
      pairs: {},
      files: {},
      functions: {},
      owner: { entries: 0, pushed: 0, byFunction: {}, callers: {} },
      sequence: [],
      afterResponse: {}, // statements run in the TAIL_MS after the response, by file:function
      firstFile: undefined,
      previous: undefined, // the plugin stack (bottom first) at the last pause
    };
  }

  const fileStats = file => trace.files[file] ??= { entered: 0, calls: 0, statements: 0 };
  const bump = (object, key) => { object[key] = (object[key] ?? 0) + 1; };

  async function record(params) {
    trace.pauses++;
    const frames = params.callFrames;
    const stack = []; // plugin frames, bottom first; depth: the frame's position in the whole stack from its bottom
    frames.forEach((frame, index) => {
      const url = urlOf(frame);
      if (!counted.test(url)) return;
      const at = frame.functionLocation ?? frame.location;
      const key = `${at.scriptId}:${at.lineNumber}:${at.columnNumber}`;
      stack.unshift({ key, location: frame.location, depth: frames.length - 1 - index, file: labelOf(url), name: nameOf(frame) });
    });
    if (!stack.length) return;
    const top = stack.at(-1);
    const atTop = top.depth === frames.length - 1;
    if (atTop) fileStats(top.file).statements++;
    if (atTop && await isFunctionEntry(frames[0])) {
      bump(trace.functions, `${top.file}:${top.name}`);
      fileStats(top.file).calls++;
      if (isOwnerLookup(top)) {
        trace.owner.entries++;
        bump(trace.owner.byFunction, top.name);
        const caller = stack.at(-2);
        bump(trace.owner.callers, caller ? `${caller.file}:${caller.name}` : '(outside the plugin)');
      }
    }
    if (!trace.previous) {
      trace.firstFile = top.file;
      fileStats(top.file).entered++;
    }
    for (const step of pathBetween(trace.previous ?? [], stack)) {
      if (step.pushed && isOwnerLookup(step.to)) trace.owner.pushed++;
      if (step.from.file === step.to.file) continue;
      trace.crossings.total++;
      trace.crossings[step.kind]++;
      if (step.viaOther) trace.crossings.viaOther++;
      fileStats(step.to.file).entered++;
      bump(trace.pairs, `${step.from.file} -> ${step.to.file}`);
      trace.sequence.push({ kind: step.kind, viaOther: step.viaOther, from: `${step.from.file}:${step.from.name}`, to: `${step.to.file}:${step.to.name}` });
    }
    trace.previous = stack;
  }

  function finish(error) {
    const { previous, ...result } = trace;
    if (error) result.error = error;
    else if (lateScripts.length) result.error = `plugin scripts loaded after the breakpoints were set: ${lateScripts.join(', ')}`;
    else if (result.owner.entries !== result.owner.pushed) {
      result.error = `owner lookups disagree: ${result.owner.entries} pauses at the functions' first statements, ${result.owner.pushed} frames pushed`;
    }
    result.ms ??= Date.now() - started;
    parentPort.postMessage({ type: 'trace', trace: result });
    trace = undefined;
  }

  session.on('Debugger.paused', async ({ params }) => {
    const top = params.callFrames[0];
    const inHarness = urlOf(top) === options.harnessUrl;
    try {
      if (state === 'idle') {
        if (inHarness && top.functionName === 'traceStart') {
          state = 'tracing';
          started = Date.now();
          trace = newTrace();
        }
      } else if (state === 'tracing' && inHarness && top.functionName === 'traceEnd') {
        // what the request left running (timers, unawaited writes) is listed apart, for TAIL_MS
        state = 'tail';
        trace.ms = Date.now() - started;
        setTimeout(() => {
          state = 'idle';
          finish();
        }, TAIL_MS);
      } else if (state === 'tail') {
        const frame = params.callFrames.find(candidate => counted.test(urlOf(candidate)));
        if (frame) bump(trace.afterResponse, `${labelOf(urlOf(frame))}:${nameOf(frame)}`);
      } else {
        await record(params);
        if (trace.pauses >= options.maxPauses || Date.now() - started > options.traceMs) {
          state = 'idle';
          finish(`stopped after ${trace.pauses} pauses / ${Date.now() - started} ms without reaching the response's end (see --max-pauses)`);
        }
      }
    } catch (error) {
      state = 'idle';
      if (trace) finish(`tracer: ${error.stack ?? error}`);
    }
    await post('Debugger.resume').catch(() => undefined);
  });
  parentPort.postMessage({ type: 'ready' });
}

// ---------------------------------------------------------------------------------------------------------------
// report

function table(rows, headers) {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map(row => String(row[i]).length)));
  const line = cells => cells.map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join('  ');
  return [ line(headers), line(widths.map(width => '-'.repeat(width))), ...rows.map(line) ].join('\n');
}

function sortedEntries(object) {
  return Object.entries(object).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function report(targets, args) {
  const out = [];
  const variants = [ [ 'redis', 'Redis store read+write, session control on' ], [ 'cookie', 'sealed cookie read+write (session: {})' ] ];
  out.push('File boundary crossings of one traced request (plugin + koa-session frames; see the header of scripts/trace-request.mjs)');
  for (const target of targets) {
    out.push(`  ${target.label}: ${target.dir} (dist/esm, ${target.info.jsFiles} .js files; owner lookups = ${target.info.ownerFunctions.join('/')} in ${target.info.ownerFile})`);
  }
  out.push('');
  const summary = [];
  for (const [ variant ] of variants) {
    for (const target of targets) {
      const result = target.results[variant];
      const files = Object.keys(result.files).length;
      summary.push([
        `${variant} / ${target.label}`, result.crossings.total, `${result.crossings.call}/${result.crossings.return}/${result.crossings.resume}`,
        result.owner.entries, files, Object.values(result.functions).reduce((sum, n) => sum + n, 0), result.pauses,
      ]);
    }
  }
  out.push(table(summary, [ 'request / code', 'crossings', 'call/return/resume', 'owner lookups', 'files', 'function calls', 'statements' ]));
  out.push('(function calls and statements executed: in the plugin\'s and koa-session\'s files only)');
  for (const [ variant, title ] of variants) {
    for (const target of targets) {
      const result = target.results[variant];
      out.push('', `== ${title} - ${target.label}`);
      out.push(`response: HTTP ${result.response.status} ${JSON.stringify(result.response.body)}, ${result.response.setCookies} Set-Cookie; traced in ${(result.ms / 1000).toFixed(1)} s; ${result.pauses} statements (break locations) executed in plugin and koa-session code, ${result.breakpoints} breakpoints set`);
      if (result.redisCommands) {
        out.push(`Redis commands (the request's, and any it left running, 300 ms later; commands inside scripts count too): ${sortedEntries(result.redisCommands).map(([ name, n ]) => `${name} ${n}`).join(', ')}`);
      }
      out.push(`crossings: ${result.crossings.total} (${result.crossings.call} calls, ${result.crossings.return} returns, ${result.crossings.resume} resumes/callbacks; ` +
        `${result.crossings.viaOther} of them through egg/koa/app/ioredis/node code in between); first file: ${result.firstFile}`);
      const after = sortedEntries(result.afterResponse);
      out.push(`after the response (${TAIL_MS} ms): ${after.length ? after.map(([ name, n ]) => `${name} ${n}`).join(', ') : 'no plugin or koa-session code ran'}`);
      out.push(`owner looked up from ctx: ${result.owner.entries} (${sortedEntries(result.owner.byFunction).map(([ name, n ]) => `${name} ${n}`).join(', ') || 'none'}; ` +
        `frames pushed ${result.owner.pushed}); callers: ${sortedEntries(result.owner.callers).map(([ name, n ]) => `${name} ${n}`).join(', ') || 'none'}`);
      out.push('files entered:');
      out.push(table(sortedEntries(Object.fromEntries(Object.entries(result.files).map(([ file, stats ]) => [ file, stats.entered ])))
        .map(([ file ]) => [ file, result.files[file].entered, result.files[file].calls, result.files[file].statements ]), [ '  file', 'entered', 'function calls', 'statements' ]).replace(/^/gm, '  '));
      out.push(`busiest file pairs (of ${Object.keys(result.pairs).length}):`);
      out.push(table(sortedEntries(result.pairs).slice(0, args.top), [ '  from -> to', 'times' ]).replace(/^/gm, '  '));
      out.push(`most called functions (of ${Object.keys(result.functions).length}):`);
      out.push(table(sortedEntries(result.functions).slice(0, args.top), [ '  file:function', 'calls' ]).replace(/^/gm, '  '));
      if (args.sequence) {
        out.push('every crossing in order (* = through non-plugin code):');
        result.sequence.forEach((step, i) => out.push(`  ${String(i + 1).padStart(3)} ${step.kind.padEnd(6)} ${step.viaOther ? '*' : ' '} ${step.from} -> ${step.to}`));
      }
    }
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// after every declaration above (the functions use module-level constants)

if (!isMainThread && workerData?.role === 'tracer') await runTracer(workerData);
else if (process.argv[2] === '--role=app') await runApp();
else await runDriver();
