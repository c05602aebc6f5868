import type { Redis } from 'ioredis';
import { usePrivateRedis, type RedisServer } from './helpers/redis.js';
import { redisApps } from './helpers/redis-apps.js';
import { describeMergeBehaviour, type RedisTarget } from './helpers/store-behaviour.js';

describe('merge saves on standalone Redis: concurrent requests keep each other\'s changes', function () {
  this.timeout(60_000);
  let server: RedisServer;
  let redis: Redis;

  const privateRedis = usePrivateRedis();
  before(() => ({ server, redis } = privateRedis));

  describeMergeBehaviour({
    wholeApp: () => redisApps.standalone(server.port, false),
    mergeApp: () => redisApps.standalone(server.port, true),
    wholePrefix: 'rdapp:',
    mergePrefix: 'rdmerge:',
    target: (): RedisTarget => ({ redis, masters: () => [ redis ] }),
  });
});
