import type { Redis } from 'ioredis';
import { usePrivateRedis, type RedisServer } from './helpers/redis.js';
import { rdApps } from './helpers/rd-apps.js';
import { describeMergeBehaviour, type RedisTarget } from './helpers/rd-store-behaviour.js';

describe('merge saves on standalone Redis: concurrent requests keep each other\'s changes', function () {
  this.timeout(60_000);
  let server: RedisServer;
  let redis: Redis;

  const privateRedis = usePrivateRedis();
  before(() => ({ server, redis } = privateRedis));

  describeMergeBehaviour({
    wholeApp: () => rdApps.standalone(server.port, false),
    mergeApp: () => rdApps.standalone(server.port, true),
    wholePrefix: 'rdapp:',
    mergePrefix: 'rdmerge:',
    target: (): RedisTarget => ({ redis, masters: () => [ redis ] }),
  });
});
