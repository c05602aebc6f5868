import { redisClient, redisClusterClient, type AppConfig } from './boot.js';

/** The Redis store apps of the store-behaviour suites (routes test/fixtures/base/routes/store-sessions.js) on redis-app. */
export const redisApps = {
  /** standalone Redis on `port`; merge saves only the top-level keys a request changed */
  standalone: (port: number, merge: boolean): AppConfig => ({
    keys: merge ? 'rd-merge-app-key' : 'rd-app-key',
    fixture: { routes: 'store-sessions' },
    session: { store: 'redis', redis: { prefix: merge ? 'rdmerge:' : 'rdapp:', sessionTTL: 3600 * 1000, ...(merge ? { merge } : {}) } },
    redis: redisClient(port),
  }),
  /** a Redis Cluster through @eggjs/redis (ioredis Cluster) */
  cluster: (ports: number[], merge: boolean): AppConfig => ({
    keys: merge ? 'rd-cluster-merge-app-key' : 'rd-cluster-app-key',
    fixture: { routes: 'store-sessions' },
    session: { store: 'redis', redis: { prefix: merge ? 'rdclustermerge:' : 'rdcluster:', sessionTTL: 3600 * 1000, ...(merge ? { merge } : {}) } },
    redis: redisClusterClient(ports, { enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: 1 } }),
  }),
};
