import type { Application } from 'egg';
import type { ControlRedisClient } from './user-index.js';

const ENABLE_HINT = 'enable @eggjs/redis in config/plugin.js: `redis: { enable: true, package: \'@eggjs/redis\' }`, ' +
  'and configure `config.redis.client` (or `config.redis.clients` plus `config.session.redis.client`)';

interface RedisSingleton {
  getSingletonInstance(name: string): unknown;
  clients?: Map<string, unknown>;
}

function isSingleton(value: unknown): value is RedisSingleton {
  return typeof (value as RedisSingleton | undefined)?.getSingletonInstance === 'function';
}

function isClient(value: unknown): value is ControlRedisClient {
  return typeof (value as ControlRedisClient | undefined)?.defineCommand === 'function';
}

/**
 * The app's @eggjs/redis client for session control, chosen like the Redis store's:
 * `app.redis`, or the client `config.session.redis.client` names among `config.redis.clients`.
 * Never opens a client of its own.
 */
export function controlRedisClient(app: Application, clientName?: string): ControlRedisClient {
  const fail = (why: string) => new Error(`[egg-session-plus] session control (per-user sessions, "log out everywhere") needs Redis, but ${why}`);
  const redis: unknown = Reflect.get(app, 'redis');
  if (!redis) throw fail(`the @eggjs/redis plugin is not enabled or has no app client: ${ENABLE_HINT}`);
  if (isSingleton(redis)) {
    const names = [ ...(redis.clients?.keys() ?? []) ];
    const name = clientName ?? (names.length === 1 ? names[0] : undefined);
    if (!name) throw fail(`config.redis.clients has ${names.length ? `several clients (${names.join(', ')})` : 'no client'}: name one in config.session.redis.client`);
    const client = redis.getSingletonInstance(name);
    if (!isClient(client)) throw fail(`config.session.redis.client '${name}' is not in config.redis.clients (has: ${names.join(', ') || 'none'})`);
    return client;
  }
  if (clientName) throw fail(`config.session.redis.client is '${clientName}' and config.redis has a single \`client\`: remove config.session.redis.client`);
  if (!isClient(redis)) throw fail(`\`app.redis\` is not an ioredis client: ${ENABLE_HINT}`);
  return redis;
}
