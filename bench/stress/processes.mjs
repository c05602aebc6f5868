// Every process the stress harness starts (egg apps, redis-server), each stopped by its PID.
import { fork, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, redisCli } from '../lib/redis-server.mjs';

const SERVER = fileURLToPath(new URL('./server.mjs', import.meta.url));
const APP_DIR = fileURLToPath(new URL('./app/', import.meta.url));
const BOOT_TIMEOUT_MS = 60_000;

const running = new Set();

/** Kills every process still running, by PID (on failure or SIGINT). */
export function killAll() {
  for (const child of running) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

function track(child) {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

function exitedPromise(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise(resolve => child.once('exit', resolve));
}

/** Stops `child` with `signal`, then SIGKILL after `graceMs`; resolves once it has exited. */
async function stopChild(child, signal = 'SIGTERM', graceMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = exitedPromise(child);
  process.kill(child.pid, signal);
  await Promise.race([ exited, sleep(graceMs) ]);
  if (child.exitCode === null && child.signalCode === null) {
    process.kill(child.pid, 'SIGKILL');
    await exited;
  }
}

/**
 * The harness's own redis-server on a free loopback port, persistence on (AOF, fsync on every
 * write), so a restart keeps every acknowledged write. kill() stops it by PID, start() brings it
 * back on the same port and data dir.
 */
export async function startRedis(tmpDir) {
  const port = await freePort();
  const dir = path.join(tmpDir, 'redis');
  mkdirSync(dir, { recursive: true });
  let child;
  const redis = {
    port,
    get pid() {
      return child?.pid;
    },
    async start() {
      child = track(spawn('redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--protected-mode', 'yes',
        '--save', '', '--appendonly', 'yes', '--appendfsync', 'always',
      ], { stdio: 'ignore' }));
      for (let attempt = 0; attempt < 200; attempt++) {
        if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
        try {
          if ((await redisCli(port, 'PING')).trim() === 'PONG') return;
        } catch {
          // not listening yet
        }
        await sleep(25);
      }
      throw new Error('redis-server did not answer PING within 5 s');
    },
    /** `signal` SIGKILL for the outage drill: acknowledged writes must survive even that */
    async stop(signal = 'SIGTERM') {
      if (child) await stopChild(child, signal);
    },
  };
  await redis.start();
  return redis;
}

/** Starts the stress app in a child process (prod env) and resolves once it listens. */
export function startApp({ name, tmpDir, pluginPath, redisPort }) {
  const dir = path.join(tmpDir, name);
  mkdirSync(dir, { recursive: true });
  const child = track(fork(SERVER, [], {
    execArgv: [],
    stdio: [ 'ignore', 'pipe', 'pipe', 'ipc' ],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      EGG_SERVER_ENV: 'prod',
      STRESS_APP_DIR: APP_DIR,
      STRESS_TMP_DIR: dir,
      STRESS_PLUGIN_PATH: pluginPath,
      STRESS_REDIS_PORT: redisPort ? String(redisPort) : '',
    },
  }));
  let output = '';
  const collect = chunk => { output = (output + chunk).slice(-4000); };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.kill(child.pid, 'SIGKILL');
      reject(new Error(`${name}: not listening within ${BOOT_TIMEOUT_MS} ms\n${output}`));
    }, BOOT_TIMEOUT_MS);
    const onExit = code => {
      clearTimeout(timer);
      reject(new Error(`${name}: exited (code ${code}) before listening\n${output.trim()}`));
    };
    child.once('exit', onExit);
    child.on('message', function onReady(message) {
      if (message?.type !== 'ready') return;
      child.off('message', onReady);
      child.off('exit', onExit);
      clearTimeout(timer);
      resolve(new AppProcess(name, child, message.port, () => output));
    });
  });
}

export class AppProcess {
  #nextId = 0;

  constructor(name, child, port, output) {
    this.name = name;
    this.child = child;
    this.port = port;
    this.pid = child.pid;
    this.output = output;
  }

  get alive() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The session events the app saw: totals, and per hostile case. */
  events() {
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no events answer`)), 10_000);
      const onMessage = message => {
        if (message?.type !== 'events' || message.id !== id) return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(message);
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'events', id });
    });
  }

  /** Asks the app to close, then kills it by PID if it does not. */
  async stop() {
    if (!this.alive) return;
    const exited = exitedPromise(this.child);
    if (this.child.connected) this.child.send({ type: 'stop' });
    else process.kill(this.pid, 'SIGTERM');
    await Promise.race([ exited, sleep(5000) ]);
    if (this.alive) await stopChild(this.child, 'SIGKILL');
  }
}
