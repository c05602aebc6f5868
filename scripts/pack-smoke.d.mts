// Types for test/packaging.test.ts, which drives the same steps as `npm run test:pack`.
export declare const repoRoot: string;

export interface SmokeAppSpec {
  /** the app's name (its dir in the work dir, egg's app name); written from test/fixtures/consumer-app */
  name: string;
  /** 'package': config/plugin.js names egg-session-plus; 'overrides': npm overrides replace @eggjs/session */
  route: 'package' | 'overrides';
  /** the dist flavour egg must load for this app */
  flavour: 'esm' | 'commonjs';
  /** boot with EGG_SERVER_ENV=prod */
  prod?: boolean;
  /** 'redis': the app uses the built-in Redis store (@eggjs/redis, a redis-server of the smoke's own) */
  store?: 'redis';
  /** 'git': installed from a git URL of a snapshot of the tree (npm runs `prepare`) instead of the tarball */
  source?: 'git';
}

export interface Tarball {
  path: string;
  name: string;
  version: string;
  files: string[];
}

export interface SmokeResult {
  app: string;
  url: string;
  /** the session cookie pair the app set, `EGG_SESS=v2.…` (a session id with the Redis store) */
  cookie: string;
  /** the plugin's boot line from the app's egg-web.log */
  bootLine: string;
  /** `plugins.session` from the app's run/application_config.json */
  plugin: { path: string; version: string; package?: string };
  ms: number;
}

export declare const SMOKE_APPS: SmokeAppSpec[];
export declare function makeWorkDir(): string;
export declare function packTarball(repoRoot: string, workDir: string): Promise<Tarball>;
/** Installs the tarball (or the git snapshot) into the app, boots it, proves its sessions over HTTP (and in Redis); throws on any failure. */
export declare function smokeApp(spec: SmokeAppSpec, tarball: Tarball, workDir: string): Promise<SmokeResult>;
export interface TsConsumerSpec {
  /** the app's name; written from test/fixtures/consumer-types (session.ts, api.ts, tsconfig.json, tsconfig.cjs.json) */
  name: string;
  route: 'package' | 'overrides';
}
export declare const TS_CONSUMERS: TsConsumerSpec[];
/** Installs the tarball into a TypeScript app and compiles it as ESM and CommonJS; throws on a type error. */
export declare function typecheckConsumer(spec: TsConsumerSpec, tarball: Tarball, workDir: string): Promise<{ app: string; ms: number }>;
