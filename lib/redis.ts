import type { Application } from 'egg';

// Two key namespaces under `prefix` that no key of the other can name: sessions at `<prefix><id>` (lib/store/redis.ts; ids never contain `{`:
// lib/session-id.ts), session control at `<prefix>{u:<user>}:…`. The hash tag `{u:<user>}` puts all keys of one user in one Redis Cluster slot, so
// one Lua script (lib/control/index-scripts.ts) can update them together.
export function userKeys(prefix: string, userId: string) {
  const base = `${prefix}{u:${encodeURIComponent(userId)}}`;
  return {
    sessions: `${base}:sessions`, // sorted set: session reference -> expiry (ms)
    meta: `${base}:meta`, // hash: reference -> JSON metadata (session id, created, signed in, last seen, ip, user agent)
    stamps: `${base}:stamps`, // sorted set: reference -> the user's generation it was signed in (or kept) at
    dead: `${base}:dead`, // sorted set: reference -> tombstone expiry; a destroyed session's late write may not index it again
    revocation: `${base}:revocation`, // hash: `gen`, the user's generation (one more per "destroy all"), `at`, when the last one ran
  };
}

/** The part of an ioredis client (standalone or Cluster) the store and session control use. */
export interface RedisClient {
  defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void;
  hget(key: string, field: string): Promise<string | null>;
  set(key: string, value: string, px: 'PX', ttl: number, xx?: 'XX'): Promise<unknown>;
  pexpire(key: string, ttl: number): Promise<number>;
  del(key: string): Promise<number>;
}

/** A Lua script registered with ioredis `defineCommand` (EVALSHA, EVAL on NOSCRIPT). */
export interface RedisScript { name: string; numberOfKeys: number; lua: string }
export type ScriptCall = (...args: (string | number)[]) => Promise<unknown>;

const ENABLE_HINT = 'enable @eggjs/redis (egg-redis on egg 3) in config/plugin.js: `redis: { enable: true, package: \'@eggjs/redis\' }`, ' +
  'and configure `config.redis.client` (or `config.redis.clients` plus `config.session.redis.client`)';

const isClient = (value: unknown): value is RedisClient =>
  typeof (value as RedisClient | undefined)?.defineCommand === 'function' && typeof (value as RedisClient).pexpire === 'function';

/** `app.redis`, or the client `clientName` names among `config.redis.clients`; never one of its own. Errors start with `need`. */
export function resolveRedisClient(app: Application, clientName: string | undefined, need: string): RedisClient {
  const fail = (why: string) => new Error(`[egg-session-plus] ${need} but ${why}`);
  const redis: unknown = Reflect.get(app, 'redis');
  if (!redis) {
    const why = app.config.redis ? '`app.redis` does not exist (is `config.redis.app` false?)' : 'the @eggjs/redis plugin is not enabled';
    throw fail(`${why}: ${ENABLE_HINT}`);
  }
  // with `config.redis.clients`, `app.redis` is @eggjs/redis' singleton holding them
  const singleton = redis as { getSingletonInstance?(name: string): unknown; clients?: Map<string, unknown> };
  if (typeof singleton.getSingletonInstance === 'function') {
    const names = [ ...(singleton.clients?.keys() ?? []) ];
    const name = clientName ?? (names.length === 1 ? names[0] : undefined);
    if (!name) {
      const why = names.length ? `config.redis.clients has several clients (${names.join(', ')})` : 'config.redis has no client';
      throw fail(`${why}: set config.session.redis.client to the name of one of config.redis.clients, or configure config.redis.client`);
    }
    const client = singleton.getSingletonInstance(name);
    if (!isClient(client)) throw fail(`config.session.redis.client '${name}' is not in config.redis.clients (has: ${names.join(', ') || 'none'})`);
    return client;
  }
  if (clientName) throw fail(`config.session.redis.client is '${clientName}' but config.redis has a single \`client\`: ` +
    'name clients in `config.redis.clients`, or remove config.session.redis.client');
  if (!isClient(redis)) throw fail(`\`app.redis\` is not an ioredis client: ${ENABLE_HINT}`);
  return redis;
}

/** Defines each script once per client (the store and session control share one; ioredis adds it as a client method). */
export function defineScripts<Name extends string>(client: RedisClient, scripts: Record<Name, RedisScript>): Record<Name, ScriptCall> {
  const calls = {} as Record<Name, ScriptCall>;
  for (const [ key, { name, numberOfKeys, lua } ] of Object.entries(scripts) as [Name, RedisScript][]) {
    if (typeof Reflect.get(client, name) !== 'function') client.defineCommand(name, { numberOfKeys, lua });
    calls[key] = (Reflect.get(client, name) as ScriptCall).bind(client);
  }
  return calls;
}
