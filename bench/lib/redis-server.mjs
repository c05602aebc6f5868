import { execFile, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

export function redisAvailable() {
  return spawnSync('redis-server', [ '--version' ], { stdio: 'ignore' }).status === 0;
}

/** One `redis-cli` command against the bench's own server; resolves its stdout. */
export function redisCli(port, ...args) {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', [ '-h', '127.0.0.1', '-p', String(port), ...args ], { timeout: 5000 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout);
    });
  });
}

/** Calls per command since the last `resetStats()`, from INFO commandstats. */
export async function commandCounts(port) {
  const info = await redisCli(port, 'INFO', 'commandstats');
  const counts = {};
  for (const match of info.matchAll(/^cmdstat_([a-z|_-]+):calls=(\d+)/gm)) {
    counts[match[1]] = Number(match[2]);
  }
  delete counts.info;
  delete counts.config;
  return counts;
}

/** CPU seconds (user + system) redis-server has used so far, from INFO cpu. */
export async function redisCpuSeconds(port) {
  const info = await redisCli(port, 'INFO', 'cpu');
  const field = name => Number(info.match(new RegExp(`^${name}:([0-9.]+)`, 'm'))?.[1] ?? NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}

export async function resetStats(port) {
  await redisCli(port, 'CONFIG', 'RESETSTAT');
}

/** A private, non-persistent redis-server on a free loopback port; `stop()` ends it by PID. */
export async function startRedisServer() {
  const port = await freePort();
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes',
  ], { stdio: 'ignore' });
  const exited = new Promise(resolve => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(child.pid, 'SIGTERM');
    await Promise.race([ exited, sleep(5000) ]);
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  };
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    try {
      if ((await redisCli(port, 'PING')).trim() === 'PONG') return { port, pid: child.pid, stop };
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  await stop();
  throw new Error('redis-server did not answer PING within 5 s');
}
