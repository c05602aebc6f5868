import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mm, type MockApplication } from '@eggjs/mock';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium (or the binary `CHROMIUM_PATH` names), driven by playwright-core over the DevTools
 * protocol. The test starts the browser process itself, so it runs with exactly the flags below
 * (Playwright's own launcher adds its defaults and picks the profile dir) and nothing can ever download
 * a browser.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** The flags issue 9 names; launchChromium() adds only headless mode, the profile dir and a debugging port. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run',
];

const LAUNCH_TIMEOUT_MS = 15_000;
const CLOSE_TIMEOUT_MS = 5_000;

const testDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ARTIFACTS_DIR = path.join(testDir, 'artifacts');
export const EXAMPLE_DIR = path.join(testDir, '..', 'example');

/**
 * Boots the example app (`npm run example`) from its directory on the plugin's TS source.
 * `env` is what its config reads (SESSION_STORE, REDIS_URL), set only while it boots.
 */
export async function bootExample(env: Record<string, string> = {}): Promise<MockApplication> {
  mm.consoleLevel('NONE'); // CSRF tests make egg print a ForbiddenError stack; they assert it
  for (const [ name, value ] of Object.entries(env)) process.env[name] = value;
  try {
    // config/plugin.js enables @eggjs/redis for SESSION_STORE=redis, but ESM caches it after the first boot
    // in this process: say it again for every boot
    const plugins = { redis: { enable: env.SESSION_STORE === 'redis', package: '@eggjs/redis' } };
    const app = mm.app({ baseDir: EXAMPLE_DIR, cache: false, plugins });
    await app.ready();
    return app;
  } finally {
    // config/config.default.js has read them
    for (const name of Object.keys(env)) delete process.env[name];
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Call first in a browser `describe`'s before hook (with `function () {}` so `this` is the suite). */
export function requireBrowser(suite: Mocha.Context): boolean {
  if (isExecutable(CHROMIUM_PATH)) return true;
  const message = `BROWSER TESTS SKIPPED: ${CHROMIUM_PATH} not found (or not executable). ` +
    'Install it with `apt-get install chromium`, or set CHROMIUM_PATH to a Chromium or Chrome binary.';
  if (process.env.REQUIRE_BROWSER === '1') throw new Error(`${message} (REQUIRE_BROWSER=1 makes this a failure)`);
  console.warn(`\n${'!'.repeat(80)}\n!! ${message}\n${'!'.repeat(80)}\n`);
  suite.skip(); // throws: the rest of the hook and the suite's tests do not run
}

/** A fresh, empty Chromium profile directory; remove it with removeProfile(). */
export function freshProfile(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'esp-chromium-'));
}

export function removeProfile(dir: string | undefined): void {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

export interface Chromium {
  browser: Browser;
  /** the profile's own context: its cookies are what Chromium keeps on disk across restarts */
  profileContext: BrowserContext;
  pid: number;
  /** closes Chromium as a user would (cookies are flushed to the profile), then waits for it to exit */
  close(): Promise<void>;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise(resolve => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function devToolsUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`no DevTools URL within ${LAUNCH_TIMEOUT_MS}ms`)), LAUNCH_TIMEOUT_MS);
    function fail(error: Error) {
      clearTimeout(timer);
      reject(new Error(`${CHROMIUM_PATH} did not start: ${error.message}\n${output.slice(-2000)}`));
    }
    child.stderr!.on('data', chunk => {
      output += chunk;
      const url = /DevTools listening on (ws:\/\/\S+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    });
    child.once('error', fail);
    child.once('exit', code => fail(new Error(`exited with ${code}`)));
  });
}

/** Starts headless Chromium on the profile `userDataDir` and connects to it. */
export async function launchChromium(userDataDir: string): Promise<Chromium> {
  const child = spawn(CHROMIUM_PATH, [
    '--headless', ...CHROMIUM_FLAGS, `--user-data-dir=${userDataDir}`,
    // DevTools on a free loopback port, announced on stderr
    '--remote-debugging-port=0', 'about:blank',
  ], { stdio: [ 'ignore', 'ignore', 'pipe' ] });
  let browser: Browser;
  try {
    browser = await chromium.connectOverCDP(await devToolsUrl(child));
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  child.stderr!.resume(); // keep draining Chromium's log so it never blocks on a full pipe
  return {
    browser,
    profileContext: browser.contexts()[0],
    pid: child.pid!,
    async close() {
      try {
        const session = await browser.newBrowserCDPSession();
        await session.send('Browser.close');
      } catch {
        // already gone, or the connection dropped while closing
      }
      if (!await waitForExit(child, CLOSE_TIMEOUT_MS)) {
        child.kill('SIGKILL');
        await waitForExit(child, CLOSE_TIMEOUT_MS);
      }
    },
  };
}

/**
 * Runs setup steps at once (booting an app while Chromium starts) and waits for all of them, so
 * an after hook finds everything that started, then throws the first failure.
 */
export async function allStarted(steps: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(steps)).find(result => result.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/** The cookie `name` in a context's jar for `url`, if the browser kept it. */
export async function cookieIn(context: BrowserContext, url: string, name = 'EGG_SESS') {
  return (await context.cookies(url)).find(cookie => cookie.name === name);
}

/** Signs in through the example app's login form (CSRF token and all) and waits for the home page. */
export async function logIn(page: Page, baseUrl: string, { name = 'alice', password = 'wonderland', remember = true } = {}) {
  await page.goto(`${baseUrl}/login`);
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', password);
  await page.setChecked('input[name=remember]', remember);
  await Promise.all([ page.waitForURL(`${baseUrl}/`), page.click('button[type=submit]') ]);
}
