'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');

/**
 * Call with the suite as `this` (in `before(function () {...})`): true when redis-server is installed.
 * Without it the suite is skipped with a loud message, or fails with REQUIRE_REDIS=1.
 */
function requireRedis(context) {
  if (spawnSync('redis-server', [ '--version' ], { stdio: 'ignore' }).status === 0) return true;
  const message = 'EGG 3 REDIS TESTS SKIPPED: no redis-server binary. Install redis-server.';
  if (process.env.REQUIRE_REDIS === '1') throw new Error(`${message} (REQUIRE_REDIS=1 makes this a failure)`);
  console.warn(`\n${'!'.repeat(80)}\n!! ${message}\n${'!'.repeat(80)}\n`);
  context.skip();
  return false;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise(resolve => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(50);
  }
  throw new Error(`redis-server did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** A private redis-server on a spare loopback port (no persistence); stop() ends it by its PID. */
async function startRedisServer() {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `egg3-compat-redis-${port}-`));
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
  ], { stdio: 'ignore' });
  const exited = new Promise(resolve => child.once('exit', resolve));
  try {
    await waitForPort(port, 5000);
  } catch (err) {
    if (child.exitCode === null) process.kill(child.pid, 'SIGTERM');
    throw err;
  }
  return {
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { requireRedis, startRedisServer };
