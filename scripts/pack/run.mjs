import { spawn } from 'node:child_process';

// Set by `npm run` (npm_*) and `egg-bin test` (a ts-node loader in NODE_OPTIONS, NODE_ENV=test, ...):
// the throwaway apps must run like a user's app, not inside our test runner.
const RUNNER_VARS = /^(npm_lifecycle_|npm_package_|npm_config_local_prefix$|INIT_CWD$|NODE_OPTIONS$|NODE_ENV$|TS_NODE_|EGG_)/;

export function cleanEnv(extra = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([ key ]) => !RUNNER_VARS.test(key)));
  return { ...env, ...extra };
}

/** Runs a command to completion and resolves its stdout; rejects with its output when it fails or exceeds `timeoutMs`. */
export function run(command, args, { cwd, timeoutMs = 120_000, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: env ?? cleanEnv(), stdio: [ 'ignore', 'pipe', 'pipe' ] });
    let stdout = '';
    let output = '';
    child.stdout.on('data', chunk => { stdout += chunk; output += chunk; });
    child.stderr.on('data', chunk => { output += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', err => { clearTimeout(timer); reject(err); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(stdout);
      const why = signal ? `killed by ${signal} (timeout ${timeoutMs} ms?)` : `exit code ${code}`;
      reject(new Error(`\`${command} ${args.join(' ')}\` in ${cwd} failed: ${why}\n${output}`));
    });
  });
}
