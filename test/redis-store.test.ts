import type { Redis } from 'ioredis';
import { requireRedis, startRedisServer, type RedisServer } from './helpers/redis.js';
import { inspector } from './helpers/rd-http.js';
import { rdApps } from './helpers/rd-apps.js';
import { describeStoreBehaviour, type RedisTarget } from './helpers/rd-store-behaviour.js';

describe('redis store on standalone Redis', function () {
  let server: RedisServer;
  let redis: Redis;
  const target = (): RedisTarget => ({ redis, masters: () => [ redis ] });

  before(async function () {
    if (!requireRedis(this)) return;
    server = await startRedisServer();
    redis = inspector(server.port);
  });
  after(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  describe('whole-object saves (redis.merge: false)', () => {
    describeStoreBehaviour({ app: () => rdApps.standalone(server.port, false), prefix: 'rdapp:', merge: false, target });
  });

  describe('merge saves (redis.merge: true)', () => {
    describeStoreBehaviour({ app: () => rdApps.standalone(server.port, true), prefix: 'rdmerge:', merge: true, target });
  });
});
