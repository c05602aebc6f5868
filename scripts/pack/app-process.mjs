import { spawn } from 'node:child_process';
import { cleanEnv } from './run.mjs';

/** Starts `node server.js` in an app dir on a free port; resolves once it prints its URL. */
export function startApp(dir, { env = {}, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ 'server.js' ], {
      cwd: dir, env: cleanEnv({ PORT: '0', ...env }), stdio: [ 'ignore', 'pipe', 'pipe' ],
    });
    let output = '';
    const fail = why => {
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
      reject(new Error(`app in ${dir} ${why}\n${output}`));
    };
    const timer = setTimeout(() => fail(`printed no URL within ${timeoutMs} ms`), timeoutMs);
    child.stderr.on('data', chunk => { output += chunk; });
    child.stdout.on('data', chunk => {
      output += chunk;
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (!url) return;
      clearTimeout(timer);
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      resolve({ url, pid: child.pid, stop: () => stopProcess(child) });
    });
    child.once('exit', code => fail(`exited (code ${code}) before listening`));
  });
}

/** SIGTERM by PID, SIGKILL after 10 s; resolves when the process has exited. */
function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise(resolve => {
    const timer = setTimeout(() => process.kill(child.pid, 'SIGKILL'), 10_000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    process.kill(child.pid, 'SIGTERM');
  });
}
