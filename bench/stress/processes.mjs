// Every process the stress harness starts (egg apps, redis-server), each stopped by its PID.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, redisCli } from '../lib/redis-server.mjs';
import { killAllServers, startServer } from '../lib/server-process.mjs';

const SERVER = fileURLToPath(new URL('./server.mjs', import.meta.url));
const APP_DIR = fileURLToPath(new URL('./app/', import.meta.url));

const running = new Set();

/** Kills every process still running, by PID (on failure or SIGINT). */
export function killAll() {
  killAllServers();
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

/** Starts the stress app (bench/stress/app, prod env) in a child process; resolves once it listens. */
export function startApp({ name, tmpDir, pluginPath, redisPort }) {
  return startServer({
    name, appDir: APP_DIR, script: SERVER, tmpDir, pluginPath,
    env: { STRESS_REDIS_PORT: redisPort ? String(redisPort) : '' },
  });
}
