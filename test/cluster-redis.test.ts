import assert from 'node:assert/strict';
import { Cluster } from 'ioredis';
import { requireRedis } from './helpers/redis.js';
import { hasRedisCli, startRedisCluster, type RedisClusterServers } from './helpers/redis-cluster.js';
import { redisApps } from './helpers/redis-apps.js';
import { get } from './helpers/http.js';
import {
  describeMergeBehaviour, describeStoreBehaviour, serveApp, type RedisTarget,
} from './helpers/store-behaviour.js';

describe('redis store on a 3-master Redis Cluster', function () {
  this.timeout(120_000);
  let cluster: RedisClusterServers;
  let redis: Cluster;
  const target = (): RedisTarget => ({ redis, masters: () => redis.nodes('master') });

  before(async function () {
    if (!requireRedis(this)) return;
    if (process.env.REDIS_URL && !hasRedisCli()) {
      // a REDIS_URL server is standalone: a cluster needs redis-server and redis-cli here
      if (process.env.REQUIRE_REDIS === '1') throw new Error('Redis Cluster tests need redis-server and redis-cli');
      console.warn('\n!! REDIS CLUSTER TESTS SKIPPED: no redis-cli to create a cluster\n');
      this.skip();
    }
    cluster = await startRedisCluster(3);
    redis = new Cluster(cluster.ports.map(port => ({ host: '127.0.0.1', port })), { redisOptions: { maxRetriesPerRequest: 1 } });
    await new Promise<void>((resolve, reject) => {
      redis.once('ready', resolve);
      redis.once('error', reject);
    });
  });
  after(async () => {
    redis?.disconnect();
    await cluster?.stop();
  });

  describe('whole-object saves', () => {
    describeStoreBehaviour({ app: () => redisApps.cluster(cluster.ports, false), prefix: 'rdcluster:', merge: false, target });
  });

  describe('merge saves', () => {
    describeStoreBehaviour({ app: () => redisApps.cluster(cluster.ports, true), prefix: 'rdclustermerge:', merge: true, target });
  });

  describe('concurrent requests', () => {
    describeMergeBehaviour({
      wholeApp: () => redisApps.cluster(cluster.ports, false),
      mergeApp: () => redisApps.cluster(cluster.ports, true),
      wholePrefix: 'rdcluster:',
      mergePrefix: 'rdclustermerge:',
      target,
    });
  });

  describe('key placement', () => {
    const state = serveApp(() => redisApps.cluster(cluster.ports, true));

    it('spreads sessions over the masters: one key per session, each on the master owning its slot', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) ids.push((await get(state.http.url, `/set?n=${i}`)).sessionCookie!);
      // KEYS on one node lists only that node's keys
      const perMaster = await Promise.all(redis.nodes('master').map(node => node.keys('rdclustermerge:*')));
      const found = perMaster.flat();
      for (const id of ids) assert.equal(found.filter(key => key === `rdclustermerge:${id}`).length, 1);
      assert.ok(perMaster.filter(keys => keys.length > 0).length >= 2, 'sessions live on more than one master');
      for (const [ i, id ] of ids.entries()) {
        assert.deepEqual((await get(state.http.url, '/get', id)).body.session, { n: String(i) });
      }
    });
  });
});
