import type { Redis } from 'ioredis';
import { usePrivateRedis, type RedisServer } from './helpers/redis.js';
import { redisApps } from './helpers/redis-apps.js';
import { describeStoreBehaviour, type RedisTarget } from './helpers/store-behaviour.js';

describe('redis store on standalone Redis', function () {
  let server: RedisServer;
  let redis: Redis;
  const target = (): RedisTarget => ({ redis, masters: () => [ redis ] });

  const privateRedis = usePrivateRedis();
  before(() => ({ server, redis } = privateRedis));

  describe('whole-object saves (redis.merge: false)', () => {
    describeStoreBehaviour({ app: () => redisApps.standalone(server.port, false), prefix: 'rdapp:', merge: false, target });
  });

  describe('merge saves (redis.merge: true)', () => {
    describeStoreBehaviour({ app: () => redisApps.standalone(server.port, true), prefix: 'rdmerge:', merge: true, target });
  });
});
