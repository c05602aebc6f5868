import { redisClient, redisClusterClient, type AppConfig } from './boot.js';

/**
 * The session-control apps (routes test/fixtures/base/routes/session-control.js), as configs of the base apps:
 * cookie-app for the cookie and memory stores, redis-app (with the test's redis-server) otherwise.
 */
function sc(name: string, session?: Record<string, unknown>): AppConfig {
  return { keys: `sc-${name}-app-key`, fixture: { routes: 'session-control' }, ...(session ? { session } : {}) };
}

export const controlApps = {
  cookie: () => sc('cookie', { rolling: true, absoluteMaxAge: 1500 }),
  renew: () => sc('renew', { maxAge: 2000, renew: true, absoluteMaxAge: 3000 }),
  memory: () => sc('memory', { store: 'memory', rolling: true, absoluteMaxAge: 1500 }),
  flashCookie: () => sc('flash-cookie'),
  flashMemory: () => sc('flash-memory', { store: 'memory' }),
  /** on cookie-app: control without @eggjs/redis (a boot failure) */
  noRedis: (): AppConfig => ({ keys: 'sc-noredis-app-key', session: { control: { enable: true } } }),
  redis: (port: number): AppConfig => ({
    ...sc('redis', { store: 'redis', redis: { prefix: 'scapp:' }, maxSessionsPerUser: 3, control: { touchInterval: 200 } }),
    redis: redisClient(port),
  }),
  redisAbsolute: (port: number): AppConfig => ({
    ...sc('redis-abs', { store: 'redis', redis: { prefix: 'scabs:' }, rolling: true, absoluteMaxAge: 1500 }),
    redis: redisClient(port),
  }),
  /** cookie sessions, with Redis for "log out everywhere" (revocation) */
  cookieRedis: (port: number): AppConfig => ({
    ...sc('cookie-redis', { control: { enable: true }, redis: { prefix: 'sccookie:' } }),
    redis: redisClient(port),
  }),
  cookieRedisAnonymous: (port: number): AppConfig => ({
    ...sc('cookie-redis-anon', { control: { enable: true }, redis: { prefix: 'scanon:' }, onStoreError: 'anonymous', storeTimeout: 300 }),
    redis: redisClient(port),
  }),
  /** app.js installs the hand-written three-method Redis store (stores.js 'naive-redis') */
  naiveStore: (port: number): AppConfig => ({
    ...sc('naive-store', { control: { enable: true }, redis: { prefix: 'scnaive:' } }),
    fixture: { routes: 'session-control', store: 'naive-redis' },
    redis: redisClient(port),
  }),
  cluster: (ports: number[]): AppConfig => ({
    ...sc('cluster', { store: 'redis', redis: { prefix: 'sccluster:' }, maxSessionsPerUser: 2 }),
    redis: redisClusterClient(ports),
  }),
};
