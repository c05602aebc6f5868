'use strict';
const assert = require('node:assert');
const mm = require('egg-mock');
const { get, sessionCookie, jar } = require('./helpers/http');
const { requireRedis, startRedisServer } = require('./helpers/redis');

const PREFIX = 'egg3compat:';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// store 'redis' on egg 3's egg-redis 2 (ioredis 4), against a redis-server this suite starts itself
describe('egg 3, store \'redis\' on egg-redis: sessions, session control, merge saves', function() {
  this.timeout(30000);
  let server;
  let app;

  before(async function() {
    if (!requireRedis(this)) return;
    server = await startRedisServer();
    mm(process.env, 'EGG3_COMPAT_REDIS_PORT', String(server.port));
    app = mm.app({ baseDir: 'redis-app', cache: false });
    await app.ready();
    mm.restore();
  });
  after(async () => {
    if (app) await app.close();
    if (server) await server.stop();
  });

  it('uses egg-redis\'s client: the session lives at <prefix><id>, the cookie holds the id', async () => {
    assert.strictEqual(app.plugins.redis.package, 'egg-redis');
    const first = await get(app, '/login?user=ada').expect(200);
    const id = sessionCookie(first);
    assert.match(id, UUID);
    // merge: true saves a session as a hash of its top-level fields, each value JSON
    assert.strictEqual(await app.redis.type(`${PREFIX}${id}`), 'hash');
    assert.strictEqual(JSON.parse(await app.redis.hget(`${PREFIX}${id}`, 'userId')), 'ada');
    assert.ok(await app.redis.pttl(`${PREFIX}${id}`) > 0, 'the key expires');
    await get(app, '/me', jar(first)).expect(200, { userId: 'ada', isNew: false });
  });

  it('session control: ctx.sessions.list() shows the user\'s devices, destroyAll() signs all of them out', async () => {
    const laptop = jar(await get(app, '/login?user=grace').expect(200));
    const phone = jar(await get(app, '/login?user=grace').expect(200));
    const other = jar(await get(app, '/login?user=linus').expect(200));

    const listed = (await get(app, '/sessions', laptop).expect(200)).body;
    assert.strictEqual(listed.length, 2, JSON.stringify(listed));
    assert.deepStrictEqual(listed.map(s => s.userId), [ 'grace', 'grace' ]);
    assert.deepStrictEqual(listed.map(s => s.current).sort(), [ false, true ]);

    const result = (await get(app, '/logout-everywhere', phone).expect(200)).body;
    assert.strictEqual(result.destroyed, 2, JSON.stringify(result));
    assert.strictEqual(typeof result.revokedAt, 'number');

    await get(app, '/me', laptop).expect(200, { userId: null, isNew: true });
    await get(app, '/me', phone).expect(200, { userId: null, isNew: true });
    await get(app, '/me', other).expect(200, { userId: 'linus', isNew: false });
    assert.strictEqual((await get(app, '/sessions', other).expect(200)).body.length, 1);
  });

  it('merge saves (redis.merge: true): two overlapping requests that set different keys both survive', async () => {
    const first = await get(app, '/login?user=merge').expect(200);
    const cookie = jar(first);
    // both load the session before either saves; without merge the later save drops the other's key
    await Promise.all([
      get(app, '/slow-set?key=a&value=1&delay=200', cookie).expect(200),
      get(app, '/slow-set?key=b&value=2&delay=50', cookie).expect(200),
    ]);
    const { body } = await get(app, '/get', cookie).expect(200);
    assert.strictEqual(body.session.a, '1');
    assert.strictEqual(body.session.b, '2');
    assert.strictEqual(body.session.userId, 'merge');
  });
});
