import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

/**
 * Redis for tests: a `redis-server` the test starts itself on a free loopback port, or the
 * server named by REDIS_URL. Without either the suite skips with a loud message, except with
 * REQUIRE_REDIS=1 (CI), where it fails.
 */

export function hasRedisServerBinary(): boolean {
  return spawnSync('redis-server', [ '--version' ], { stdio: 'ignore' }).status === 0;
}

export function redisAvailable(): boolean {
  return Boolean(process.env.REDIS_URL) || hasRedisServerBinary();
}

/** Call at the top of a Redis `describe` (with `function () {}` so `this` is the suite). */
export function requireRedis(suite: Mocha.Suite | Mocha.Context): boolean {
  if (redisAvailable()) return true;
  const message = 'REDIS TESTS SKIPPED: no redis-server binary and no REDIS_URL. Install redis-server or set REDIS_URL.';
  if (process.env.REQUIRE_REDIS === '1') throw new Error(`${message} (REQUIRE_REDIS=1 makes this a failure)`);
  console.warn(`\n${'!'.repeat(80)}\n!! ${message}\n${'!'.repeat(80)}\n`);
  (suite as Mocha.Context).skip?.();
  return false;
}

// below Linux's ephemeral range (32768-60999): a port picked here is not handed out meanwhile to a
// socket that binds port 0 (egg's cluster-client leader took one between our probe and redis-server's bind)
const PORT_RANGE = { from: 20_000, size: 10_000 };

export async function freePort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = PORT_RANGE.from + Math.floor(Math.random() * PORT_RANGE.size);
    const free = await new Promise<boolean>(resolve => {
      const server = net.createServer();
      server.unref();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
    if (attempt > 100) throw new Error('no free port found for a test server');
  }
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>(resolve => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`redis-server did not listen on ${port} within ${timeoutMs}ms`);
}

export interface RedisServer {
  port: number;
  host: string;
  dir: string;
  /** stops the server by its PID; waits until it has exited */
  stop(): Promise<void>;
  /** starts it again on the same port and data dir */
  start(): Promise<void>;
}

/** Starts a private `redis-server` on a free port (extra args, e.g. `--cluster-enabled yes`). */
export async function startRedisServer(extraArgs: string[] = [], port?: number): Promise<RedisServer> {
  const actualPort = port ?? await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `esp-redis-${actualPort}-`));
  let child: ChildProcess | undefined;

  const server: RedisServer = {
    port: actualPort,
    host: '127.0.0.1',
    dir,
    async start() {
      child = spawn('redis-server', [
        '--port', String(actualPort), '--bind', '127.0.0.1', '--dir', dir,
        '--save', '', '--appendonly', 'no', '--protected-mode', 'no', ...extraArgs,
      ], { stdio: 'ignore' });
      await waitForPort(actualPort, 5000);
    },
    async stop() {
      const running = child;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise(resolve => running.once('exit', resolve));
      process.kill(running.pid!, 'SIGTERM');
      await exited;
      child = undefined;
    },
  };
  await server.start();
  return server;
}

/**
 * A private redis-server for the describe block this is called in: started before its tests (when
 * Redis is available, see requireRedis), stopped after them, with an inspector client on it. Read
 * `server` and `redis` in a later `before` (both unset when the block is skipped).
 */
export function usePrivateRedis(): { server: RedisServer; redis: Redis } {
  const held = {} as { server: RedisServer; redis: Redis };
  before(async function () {
    if (!requireRedis(this)) return;
    held.server = await startRedisServer();
    held.redis = inspector(held.server.port);
  });
  after(async () => {
    held.redis?.disconnect();
    await held.server?.stop();
  });
  return held;
}

/** Calls per command since the last CONFIG RESETSTAT, from INFO commandstats. */
export async function commandCalls(client: Redis): Promise<Record<string, number>> {
  const info = await client.info('commandstats');
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) calls[match[1]] = Number(match[2]);
  return calls;
}

/** A client of the test's redis-server on `port`, to look at what the plugin wrote. */
export function inspector(port: number, db = 0): Redis {
  return new Redis({ host: '127.0.0.1', port, db, lazyConnect: false, maxRetriesPerRequest: 1 });
}
