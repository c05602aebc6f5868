import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mm, type MockApplication } from '@eggjs/mock';

/**
 * Booting the base fixture apps (test/fixtures/cookie-app, test/fixtures/redis-app; their shared code
 * in test/fixtures/base) with a test's own config.
 *
 * The config travels as JSON in EGG_APP_CONFIG, which egg's config loader (@eggjs/core
 * `loadConfig`) merges into app.config after every config file; what JSON cannot carry
 * (functions, classes) is picked by name in FIXTURE_VARIANT (test/fixtures/base/variants.js). Both
 * are set only while the app boots, one boot at a time, and restored afterwards. Every boot gets
 * its own log and run directories, so log assertions never see lines of an earlier boot.
 */

/** `cookie`: this plugin only; `redis`: @eggjs/redis enabled too (config.redis from the test). */
export type BaseApp = 'cookie' | 'redis';

/** test/fixtures/base/routes/<name>.js */
export type RouteSet =
  | 'json' | 'basic' | 'cookie-sessions' | 'koa-session-options' | 'boot-checks' | 'app-session-store'
  | 'sealed-cookies' | 'store-sessions' | 'session-control' | 'throttle' | 'hostile'
  | 'security-cookie' | 'security-store' | 'browser-size' | 'commit-sequences' | 'app-data' | 'mock-session';

/** test/fixtures/base/stores.js: the store app.js installs as app.sessionStore */
export type StoreName = 'map' | 'function' | 'recording' | 'app-map-store' | 'naive-redis' | 'failing';

/** test/fixtures/base/variants.js */
export type Variant =
  | 'hooks' | 'counting-before-save' | 'hex-codec' | 'tenant-store' | 'custom-genid' | 'header-key' | 'store-without-methods' | 'decode-table';

/** app config as JSON: merged over the base config (keys, CSRF off, fixture.routes 'json') */
export interface AppConfig {
  fixture?: { routes?: RouteSet; store?: StoreName };
  keys?: string;
  session?: Record<string, unknown>;
  redis?: Record<string, unknown>;
  logger?: Record<string, unknown>;
  [section: string]: unknown;
}

export interface BootOptions {
  variant?: Variant;
  /** false: egg's built-in @eggjs/session serves sessions instead of this plugin */
  plugin?: false;
  /** mm.app's workers option (the plugin warns about a memory store with more than one) */
  workers?: number;
}

let scratch: string | undefined;

/** A fresh directory for one boot's logs/ and run/, removed when the test process exits. */
function ownDirectory(base: BaseApp): string {
  if (!scratch) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'esp-test-apps-'));
    scratch = root;
    process.once('exit', () => fs.rmSync(root, { recursive: true, force: true }));
  }
  return fs.mkdtempSync(path.join(scratch, `${base}-`));
}

export function baseDir(base: BaseApp): string {
  return path.join(process.cwd(), 'test/fixtures', `${base}-app`);
}

function environment(base: BaseApp, config: AppConfig, variant?: Variant): Record<string, string | undefined> {
  const dir = ownDirectory(base);
  const own = { ...config, logger: { ...config.logger, dir: path.join(dir, 'logs') }, rundir: path.join(dir, 'run') };
  return { EGG_APP_CONFIG: JSON.stringify(own), FIXTURE_VARIANT: variant };
}

let booting: Promise<unknown> = Promise.resolve();

/**
 * Runs `boot` with `vars` set in process.env, then puts the previous values back. Boots queue up
 * behind each other: two apps started together (Promise.all) would otherwise read each other's config.
 */
function withEnvironment<T>(vars: Record<string, string | undefined>, boot: () => Promise<T>): Promise<T> {
  const run = booting.then(() => bootWith(vars, boot));
  booting = run.catch(() => undefined);
  return run;
}

async function bootWith<T>(vars: Record<string, string | undefined>, boot: () => Promise<T>): Promise<T> {
  const saved = Object.entries(vars).map(([ name ]) => [ name, process.env[name] ] as const);
  for (const [ name, value ] of Object.entries(vars)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  try {
    return await boot();
  } finally {
    for (const [ name, value ] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/**
 * Boots `base` with `config` (uncached: one base app serves many configurations) and resolves
 * once it is ready; the caller closes it. A failed boot closes the app and rejects with its error.
 */
export async function bootApp(base: BaseApp, config: AppConfig = {}, options: BootOptions = {}): Promise<MockApplication> {
  return withEnvironment(environment(base, config, options.variant), async () => {
    const app = mm.app({
      baseDir: baseDir(base),
      cache: false,
      clean: false,
      ...(options.plugin === false ? { plugin: false } : {}),
      ...(options.workers ? { workers: options.workers } : {}),
    } as Parameters<typeof mm.app>[0]);
    try {
      await app.ready();
    } catch (error) {
      await app.close().catch(() => undefined);
      throw error;
    }
    return app;
  });
}

/** The error a boot of `base` with `config` fails with; fails the test when it boots. */
export async function bootError(base: BaseApp, config: AppConfig = {}, options: BootOptions = {}): Promise<Error> {
  let app: MockApplication;
  try {
    app = await bootApp(base, config, options);
  } catch (error) {
    return error as Error;
  }
  await app.close();
  throw new Error(`${base}-app booted with ${JSON.stringify(config)}, but it should have failed`);
}

/** mm.cluster of `base` with `config`: `workers` processes on `port`, resolved once ready. */
export async function bootCluster(base: BaseApp, config: AppConfig, options: { workers: number; port: number }): Promise<MockApplication> {
  return withEnvironment(environment(base, config), async () => {
    const app = mm.cluster({ baseDir: baseDir(base), cache: false, clean: false, ...options } as Parameters<typeof mm.cluster>[0]);
    await app.ready();
    return app;
  });
}

/**
 * config.redis.client for a loopback redis-server on `port`, failing fast while it is down (no offline
 * queue, one retry), with `extra` over that; an `extra` key set to undefined keeps ioredis' default.
 */
export function redisClient(port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client: {
      host: '127.0.0.1',
      port,
      password: '',
      db: 0,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      ...extra,
    },
  };
}

/** config.redis.client for a Redis Cluster on loopback `ports` (ioredis Cluster through @eggjs/redis) */
export function redisClusterClient(ports: number[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client: {
      cluster: true,
      nodes: ports.map(port => ({ host: '127.0.0.1', port, password: '', db: 0 })),
      ...extra,
    },
  };
}

/** bootApp('cookie', ...) of a named setup: `{ config, options }` (e.g. helpers/codec-apps.ts). */
export function bootCookieApp(setup: { config: AppConfig; options?: BootOptions }): Promise<MockApplication> {
  return bootApp('cookie', setup.config, setup.options);
}

/**
 * Closes a test app and its @eggjs/redis clients: the plugin does not quit them on close, and a
 * client left behind keeps reconnecting (and logging) once the test stops its redis-server.
 */
export async function closeApp(app: { close(): Promise<unknown> } | undefined): Promise<void> {
  if (!app) return;
  let redis: { disconnect?: () => void; clients?: Map<string, { disconnect(): void }> } | undefined;
  try {
    redis = Reflect.get(app, 'redis');
  } catch {
    // @eggjs/mock's app throws on property access when it failed to boot
  }
  for (const client of redis?.clients?.values() ?? []) client.disconnect();
  if (typeof redis?.disconnect === 'function') redis.disconnect();
  await app.close();
}
