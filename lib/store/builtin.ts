import type { Application } from 'egg';
import type { ResolvedSessionConfig } from '../config.js';
import { MemoryStore } from './memory.js';
import { resolveRedisClient } from '../redis.js';
import type { SessionStore } from '../types.js';

/** Builds the store `config.session.store` names ('memory', 'redis'); 'cookie' means none. */
export async function createBuiltinStore(app: Application, config: ResolvedSessionConfig): Promise<SessionStore | undefined> {
  if (config.store === 'memory') {
    if (app.config.env === 'prod' || (app.options as { workers?: number }).workers! > 1) {
      app.coreLogger.warn('[egg-session-plus] store "memory" keeps sessions in this process only: ' +
        'they are lost on restart and not shared between workers. Use store "redis" in production.');
    }
    return new MemoryStore(config.memory);
  }
  if (config.store === 'redis') {
    const { RedisStore } = await import('./redis.js');
    return new RedisStore(resolveRedisClient(app, config.redis.client, 'config.session.store is \'redis\''), config.redis);
  }
}

export function describeStore(store: unknown): string {
  if (!store) return 'cookie';
  const name = (store as { storeName?: unknown }).storeName;
  return typeof name === 'string' ? name : 'custom';
}
