import { fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('../server.mjs', import.meta.url));
const APPS = fileURLToPath(new URL('../apps/', import.meta.url));
const BOOT_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;

const running = new Set();

/** Kills every server still running (by its PID): used when the bench is interrupted. */
export function killAllServers() {
  for (const child of running) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

/**
 * Starts `bench/apps/<app>` (or `appDir`) in a child process running `script` (bench/server.mjs by
 * default) and resolves once it listens. `env` carries the variant (BENCH_SESSION, BENCH_STORE,
 * BENCH_REDIS_PORT, ...).
 */
export function startServer({ name, app, appDir = path.join(APPS, app), script = SERVER, env, tmpDir, pluginPath }) {
  const dir = path.join(tmpDir, name);
  mkdirSync(dir, { recursive: true });
  const child = fork(script, [], {
    execArgv: [],
    stdio: [ 'ignore', 'pipe', 'pipe', 'ipc' ],
    env: {
      ...process.env,
      ...env,
      NODE_ENV: 'production',
      EGG_SERVER_ENV: 'prod',
      BENCH_APP_DIR: appDir,
      BENCH_TMP_DIR: dir,
      BENCH_PLUGIN_PATH: pluginPath,
    },
  });
  running.add(child);
  let output = '';
  const collect = chunk => { output = (output + chunk).slice(-4000); };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name}: no answer within ${BOOT_TIMEOUT_MS} ms\n${output}`));
    }, BOOT_TIMEOUT_MS);
    child.once('exit', code => {
      running.delete(child);
      clearTimeout(timer);
      reject(new Error(`${name}: server exited (code ${code}) before listening\n${output.trim()}`));
    });
    child.on('message', function onReady(message) {
      if (message?.type !== 'ready') return;
      child.off('message', onReady);
      child.removeAllListeners('exit');
      child.once('exit', () => running.delete(child));
      clearTimeout(timer);
      resolve(new ServerProcess(name, child, message.port));
    });
  });
}

export class ServerProcess {
  #nextId = 0;

  constructor(name, child, port) {
    this.name = name;
    this.child = child;
    this.port = port;
    this.pid = child.pid;
  }

  get alive() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `{ type, ...payload }` and resolves the server's answer of type `answer`. */
  ask(type, answer, payload = {}, timeoutMs = 10_000) {
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no ${answer} answer`)), timeoutMs);
      const onMessage = message => {
        if (message?.type !== answer || message.id !== id) return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(message);
      };
      this.child.on('message', onMessage);
      this.child.send({ type, id, ...payload });
    });
  }

  /** `process.cpuUsage()` and peak RSS of the server. */
  usage() {
    return this.ask('usage', 'usage');
  }

  profileStart() {
    return this.ask('profile-start', 'profile-started');
  }

  /** Writes the CPU profile since profileStart() to `file` (.cpuprofile). */
  profileStop(file) {
    return this.ask('profile-stop', 'profile-written', { file }, 30_000);
  }

  /** Asks the server to close (so --cpu-prof can write), then kills it by PID if it does not. */
  stop() {
    if (!this.alive) return Promise.resolve();
    return new Promise(resolve => {
      const timer = setTimeout(() => {
        try {
          process.kill(this.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, STOP_TIMEOUT_MS);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (this.child.connected) this.child.send({ type: 'stop' });
      else process.kill(this.pid, 'SIGTERM');
    });
  }
}
