import assert from 'node:assert/strict';
import type { MockApplication } from '@eggjs/mock';
import { Redis } from 'ioredis';
import type { SessionControl } from '../../index.js';
import { requireRedis, startRedisServer, type RedisServer } from './redis.js';
import { bootApp, closeApp, type AppConfig, type BaseApp } from './boot.js';
import { serve, type Served } from './http.js';

/** A session-control app on its own redis-server, as the suite's hooks boot it. */
export interface ControlSuite {
  server: RedisServer;
  app: MockApplication;
  http: Served;
  /** a client of the suite's redis-server, to look at what the plugin wrote */
  redis: Redis;
  control: SessionControl;
}

/**
 * Adds before/after hooks to the current suite: a private redis-server, redis-app booted with
 * `config(port)` (the server's port, read when the app boots) served on a loopback port, and a Redis client. Skips the suite loudly without Redis. The returned object is
 * filled in by the `before` hook.
 */
export function controlSuite(config: (port: number) => AppConfig, { base = 'redis', redis = true }: { base?: BaseApp; redis?: boolean } = {}): ControlSuite {
  const suite = {} as ControlSuite;
  before(async function () {
    // redis: false, an app without Redis (config gets port 0; `server` and `redis` stay unset)
    if (redis) {
      if (!requireRedis(this)) return;
      suite.server = await startRedisServer();
      suite.redis = new Redis({ host: '127.0.0.1', port: suite.server.port, maxRetriesPerRequest: 1 });
    }
    suite.app = await bootApp(base, config(suite.server?.port ?? 0));
    suite.http = await serve(suite.app.callback());
    suite.control = (suite.app as unknown as { sessions: SessionControl }).sessions;
  });
  after(async () => {
    await suite.http?.close();
    await closeApp(suite.app);
    suite.redis?.disconnect();
    await suite.server?.stop();
  });
  return suite;
}

/** The `{ destroyed, revokedAt }` of destroyOthers()/destroyAll(): the count, once the shape is checked. */
export function destroyedCount(body: { destroyed: number; revokedAt: number }): number {
  assert.deepEqual(Object.keys(body).sort(), [ 'destroyed', 'revokedAt' ]);
  assert.equal(typeof body.revokedAt, 'number');
  return body.destroyed;
}
