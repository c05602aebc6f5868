import type { Application } from 'egg';
import type { ScriptHost } from './redis-scripts.js';

/** The part of an ioredis client (standalone or Cluster) the store uses. */
export interface RedisClient extends ScriptHost {
  status?: string;
  set(key: string, value: string, px: 'PX', ttl: number, xx?: 'XX'): Promise<unknown>;
  pexpire(key: string, ttl: number): Promise<number>;
  del(key: string): Promise<number>;
}

/** `app.redis` of @eggjs/redis: one client, or the singleton holding `config.redis.clients`. */
interface RedisSingleton {
  getSingletonInstance(name: string): unknown;
  clients?: Map<string, unknown>;
}

const ENABLE_HINT = 'enable @eggjs/redis in config/plugin.js: `redis: { enable: true, package: \'@eggjs/redis\' }`, ' +
  'and configure `config.redis.client` (or `config.redis.clients` plus `config.session.redis.client`)';

function isSingleton(value: unknown): value is RedisSingleton {
  return typeof (value as RedisSingleton | undefined)?.getSingletonInstance === 'function';
}

function isClient(value: unknown): value is RedisClient {
  const client = value as RedisClient | undefined;
  return typeof client?.defineCommand === 'function' && typeof client.pexpire === 'function';
}

/**
 * The @eggjs/redis client for sessions: `app.redis`, or the client that `clientName` names among
 * `config.redis.clients`. Throws a boot error saying what to configure.
 */
export function resolveRedisClient(app: Application, clientName?: string): RedisClient {
  const redis: unknown = Reflect.get(app, 'redis');
  if (!redis) {
    const why = app.config.redis ? '`app.redis` does not exist (is `config.redis.app` false?)' : 'the @eggjs/redis plugin is not enabled';
    throw new Error(`[egg-session-plus] config.session.store is 'redis' but ${why}: ${ENABLE_HINT}`);
  }
  if (clientName) {
    if (!isSingleton(redis)) {
      throw new Error(`[egg-session-plus] config.session.redis.client is '${clientName}' but config.redis has a single ` +
        '`client`: name clients in `config.redis.clients`, or remove config.session.redis.client');
    }
    const client = redis.getSingletonInstance(clientName);
    if (!isClient(client)) {
      const names = [ ...(redis.clients?.keys() ?? []) ].join(', ') || 'none';
      throw new Error(`[egg-session-plus] config.session.redis.client '${clientName}' is not in config.redis.clients (has: ${names})`);
    }
    return client;
  }
  if (isSingleton(redis)) {
    const names = [ ...(redis.clients?.keys() ?? []) ];
    if (names.length === 1) return redis.getSingletonInstance(names[0]) as RedisClient;
    const why = names.length ? `config.redis.clients has several clients (${names.join(', ')})` : 'config.redis has no client';
    throw new Error(`[egg-session-plus] config.session.store is 'redis' but ${why}: ` +
      'set config.session.redis.client to the name of one of config.redis.clients, or configure config.redis.client');
  }
  if (!isClient(redis)) throw new Error(`[egg-session-plus] \`app.redis\` is not an ioredis client: ${ENABLE_HINT}`);
  return redis;
}
