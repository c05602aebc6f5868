import assert from 'node:assert/strict';
import type { MockApplication } from '@eggjs/mock';
import { Cluster } from 'ioredis';
import type { SessionControl } from '../index.js';
import { requireRedis } from './helpers/redis.js';
import { controlApps } from './helpers/session-control-apps.js';
import { startRedisCluster, type RedisClusterServers } from './helpers/redis-cluster.js';
import { bootApp, closeApp } from './helpers/boot.js';
import { Device, whileHeld } from './helpers/device.js';
import { serve, type Served } from './helpers/http.js';
import { destroyedCount } from './helpers/control-suite.js';


describe('session control on a 3-master Redis Cluster', function () {
  this.timeout(60_000);
  let cluster: RedisClusterServers;
  let app: MockApplication;
  let http: Served;
  let inspector: Cluster;
  let control: SessionControl;

  before(async function () {
    if (!requireRedis(this)) return;
    cluster = await startRedisCluster();
    app = await bootApp('redis', controlApps.cluster(cluster.ports));
    http = await serve(app.callback());
    inspector = new Cluster(cluster.ports.map(port => ({ host: '127.0.0.1', port })));
    control = (app as unknown as { sessions: SessionControl }).sessions;
  });
  after(async () => {
    await http?.close();
    await closeApp(app);
    inspector?.disconnect();
    await cluster?.stop();
  });

  async function signIn(user: string, userAgent: string): Promise<Device> {
    const device = new Device(http.url, userAgent);
    const res = await device.get(`/login?user=${user}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return device;
  }
  const userOf = async (device: Device) => (await device.get('/get')).body.session.userId;

  it('indexes, lists, evicts and destroys across nodes (one user\'s keys share a slot)', async () => {
    const users = [ 'ann', 'bob', 'cy', 'dee', 'eve', 'fay' ];
    const slots = new Set<number>();
    for (const user of users) {
      const phone = await signIn(user, 'Phone');
      const laptop = await signIn(user, 'Laptop');
      const listed = await control.list(user);
      assert.deepEqual(listed.map(s => s.userAgent).sort(), [ 'Laptop', 'Phone' ]);
      const userSlots = new Set<number>();
      for (const suffix of [ 'sessions', 'meta', 'dead', 'revoked' ]) {
        userSlots.add(Number(await inspector.cluster('KEYSLOT', `sccluster:{u:${user}}:${suffix}`)));
      }
      assert.equal(userSlots.size, 1, 'one hash slot per user');
      slots.add([ ...userSlots ][0]);
      // maxSessionsPerUser is 2: a third device evicts the oldest (the phone)
      const tablet = await signIn(user, 'Tablet');
      assert.deepEqual((await control.list(user)).map(s => s.userAgent).sort(), [ 'Laptop', 'Tablet' ]);
      assert.equal(await userOf(phone), undefined);
      // "log out everywhere else" from the tablet
      assert.deepEqual(destroyedCount((await tablet.get('/devices/others')).body), 1);
      assert.equal(await userOf(laptop), undefined);
      assert.equal(await userOf(tablet), user);
      assert.deepEqual((await control.list(user)).map(s => s.userAgent), [ 'Tablet' ]);
    }
    assert.ok(slots.size > 1, 'users are spread over slots');
  });

  it('no resurrection on the cluster: a late write after logout', async () => {
    const a = await signIn('gus', 'Tab A');
    const b = a.clone('Tab B');
    const late = await whileHeld(app, () => a.get('/hold'), () => b.get('/logout'));
    assert.equal(late.status, 200);
    assert.equal(await inspector.exists(`sccluster:${a.sessionCookie}`), 0);
    assert.deepEqual(await control.list('gus'), []);
  });
});
