import assert from 'node:assert/strict';
import type { MockApplication } from '@eggjs/mock';
import { Sealer } from '../lib/cookie/sealer.js';
import { bootApp, closeApp, redisClient, type AppConfig } from './helpers/boot.js';
import { serve, type Served } from './helpers/http.js';
import { requireRedis, startRedisServer, type RedisServer } from './helpers/redis.js';
import { Device } from './helpers/device.js';

/**
 * Data the app copies into the session, as a client sent it (issue 24): it can set no hidden field, a
 * user value session control cannot index fails the write naming userKey, and what the plugin's reader
 * would refuse its writer refuses first, naming the key, so no write signs a user out.
 */
const KEYS = 'app-data-key';
const sealer = new Sealer([ KEYS ], 'EGG_SESS');
const opened = (cookie: string) => JSON.parse(sealer.open(cookie)!.text) as Record<string, unknown>;
const json = (value: unknown) => encodeURIComponent(JSON.stringify(value));

async function started(config: AppConfig): Promise<{ app: MockApplication; http: Served }> {
  const app = await bootApp(config.redis ? 'redis' : 'cookie', { keys: KEYS, fixture: { routes: 'app-data' }, ...config });
  return { app, http: await serve(app.callback()) };
}

describe('hidden fields: the app\'s data never sets one (cookie sessions)', () => {
  let app: MockApplication;
  let http: Served;
  const events: Array<[string, any]> = [];
  before(async () => {
    ({ app, http } = await started({}));
    for (const name of [ 'created', 'regenerated', 'destroyed' ]) app.on(`session:${name}`, (event: any) => events.push([ name, event ]));
  });
  after(async () => {
    await http.close();
    await closeApp(app);
  });

  it('a `_ref` copied from a request is neither sealed in the cookie nor reported as the session\'s ref', async () => {
    const device = new Device(http.url);
    await device.get('/assign?theme=dark');
    const ref = opened(device.sessionCookie!)._ref as string;
    assert.match(ref, /^[\w-]{16}$/);
    const plain = device.sessionCookie!.length;
    // a well-formed ref (one taken from a victim's event) is not sealed either
    await device.get('/assign?_ref=stolen-victim-ref&theme=light');
    assert.equal(opened(device.sessionCookie!)._ref, ref, 'a copied well-formed ref is not the session\'s');
    await device.get(`/assign?_ref=${encodeURIComponent(`victim-ref\n[session][destroyed] forged ${'x'.repeat(3000)}`)}`);
    assert.equal(opened(device.sessionCookie!)._ref, ref, 'the sealed ref stays the session\'s own');
    assert.ok(device.sessionCookie!.length < plain + 40, `the cookie does not carry the copied value (${device.sessionCookie!.length} chars)`);
    await device.get('/regenerate');
    await device.get('/logout');
    await new Promise(resolve => setImmediate(resolve));
    const refs = events.flatMap(([ , event ]) => [ event.ref, event.previousRef ]).filter(Boolean);
    assert.ok(refs.length >= 3, `events carry refs: ${JSON.stringify(refs)}`);
    for (const reported of refs) assert.match(reported, /^[\w-]{16}$/, 'only refs the plugin made');
  });

  it('no hidden field is taken from data the app assigned: creation time, sign-in time, generation, expiry, lifetime', async () => {
    const device = new Device(http.url);
    await device.get('/assign?theme=dark');
    const before = opened(device.sessionCookie!);
    const forged = { _created: 1, _authAt: 1, _gen: 99, _expire: 8e12, _maxAge: 1, _session: true, _ref: 'forged-ref', note: 'kept' };
    await device.get(`/assign?json=${json(forged)}`);
    const after = opened(device.sessionCookie!);
    assert.equal(after.note, 'kept');
    assert.equal(after._created, before._created);
    assert.equal(after._ref, before._ref);
    assert.equal(after._maxAge, 24 * 3600 * 1000);
    for (const field of [ '_authAt', '_gen', '_session' ]) assert.equal(after[field], undefined, field);
    assert.ok((after._expire as number) < Date.now() + 24 * 3600 * 1000 + 1000);
    // a replaced session (ctx.session = {...}) is the same session: its hidden fields stay the plugin's too
    await device.get(`/replace?json=${json(forged)}`);
    assert.equal(opened(device.sessionCookie!)._created, before._created);
  });
});

describe('writes the reader would refuse are refused first, naming the key: the session lives on', () => {
  let server: RedisServer | undefined;
  before(async function () {
    if (!requireRedis(this)) return;
    server = await startRedisServer();
  });
  after(() => server?.stop());

  const stores: Array<[string, (port: number) => AppConfig]> = [
    [ 'cookie', () => ({}) ],
    [ 'redis', port => ({ session: { store: 'redis', redis: { prefix: 'appdata-string:' } }, redis: redisClient(port) }) ],
    [ 'redis merge', port => ({ session: { store: 'redis', redis: { prefix: 'appdata-merge:', merge: true } }, redis: redisClient(port) }) ],
  ];
  for (const [ name, config ] of stores) {
    it(`${name}: a Session model key, data nested 256 levels or deeper, a __proto__ key`, async function () {
      if (name !== 'cookie' && !server) return this.skip();
      const { app, http } = await started(config(server?.port ?? 0));
      try {
        const device = new Device(http.url);
        await device.get('/login?user=u1');
        for (const key of [ 'save', 'regenerate', 'commit', 'manuallyCommit', 'toJSON', 'maxAge', 'externalKey', 'length' ]) {
          const res = await device.get(`/assign?json=${json({ [key]: 'x' })}`);
          assert.equal(res.status, 500, key);
          assert.equal((await device.get('/get')).body.session.userId, 'u1', `still signed in after ${key}`);
        }
        app.mockLog('errorLogger');
        assert.equal((await device.get('/deep?levels=300')).status, 500);
        app.expectLog(/cannot save the session: ctx\.session\.tree nests deeper than 256 levels/, 'errorLogger');
        assert.equal((await device.get('/get')).body.session.userId, 'u1');
        assert.equal((await device.get('/deep?levels=200')).status, 200, 'a deep session that reads back is saved');
        assert.equal((await device.get('/get')).body.session.tree.node.node.node.node !== undefined, true);
        assert.equal((await device.get('/assign?json=%7B%22x%22%3A%7B%22__proto__%22%3A%7B%22p%22%3A1%7D%7D%7D')).status, 500);
        assert.equal((await device.get('/get')).body.session.userId, 'u1');
        app.mockLog('errorLogger');
        await device.get(`/assign?json=${json({ save: 1 })}`);
        app.expectLog(/cannot save the session: ctx\.session\.save is a name of the session's own API/, 'errorLogger');
      } finally {
        await http.close();
        await closeApp(app);
      }
    });
  }
});

describe('the user value: session control indexes strings and numbers only', () => {
  let server: RedisServer | undefined;
  before(async function () {
    if (!requireRedis(this)) return;
    server = await startRedisServer();
  });
  after(() => server?.stop());

  it('an object as the user fails the write naming userKey, with cookie and store sessions alike; nothing signs in outside revocation', async function () {
    if (!server) return this.skip();
    for (const session of [ { control: { enable: true }, redis: { prefix: 'appuser-cookie:' } }, { store: 'redis', redis: { prefix: 'appuser-store:' } } ]) {
      const { app, http } = await started({ session, redis: redisClient(server.port) });
      try {
        const device = new Device(http.url);
        app.mockLog('errorLogger');
        const res = await device.get(`/assign?json=${json({ userId: { id: 'obj1' } })}`);
        assert.equal(res.status, 500);
        app.expectLog(/ctx\.session\.userId \(config\.session\.userKey\) must be a string or a number, got object/, 'errorLogger');
        assert.equal(device.sessionCookie, undefined, 'no session was written');
      } finally {
        await http.close();
        await closeApp(app);
      }
    }
  });

  it('without session control an object as the user counts as no user, and says so once in the log', async () => {
    const { app, http } = await started({});
    const warn = app.coreLogger.warn;
    const warned: string[] = [];
    app.coreLogger.warn = (...args: any[]) => (warned.push(String(args[0])), warn.apply(app.coreLogger, args as any));
    try {
      for (const id of [ 'obj2', 'obj3' ]) {
        const res = await new Device(http.url).get(`/assign?json=${json({ userId: { id } })}`);
        assert.equal(res.status, 200);
      }
      const lines = warned.filter(line => /ctx\.session\.userId \(config\.session\.userKey\) must be a string or a number, got object.*counts as no user: no new id at sign-in/.test(line));
      assert.equal(lines.length, 1, warned.join('\n'));
    } finally {
      app.coreLogger.warn = warn;
      await http.close();
      await closeApp(app);
    }
  });

  it('a dotted userKey that runs into a string on its way (passport.user.id over passport.user = "alice") is a wrong userKey, said, not "no user"', async () => {
    const { app, http } = await started({ session: { userKey: 'passport.user.id' } });
    const warn = app.coreLogger.warn;
    const warned: string[] = [];
    app.coreLogger.warn = (...args: any[]) => (warned.push(String(args[0])), warn.apply(app.coreLogger, args as any));
    try {
      const res = await new Device(http.url).get(`/assign?json=${json({ passport: { user: 'alice' } })}`);
      assert.equal(res.status, 200);
      assert.ok(warned.some(line => /ctx\.session\.passport\.user\.id \(config\.session\.userKey\) must be a string or a number, got a string on its way/.test(line)), warned.join('\n'));
    } finally {
      app.coreLogger.warn = warn;
      await http.close();
      await closeApp(app);
    }
  });

  it('a session written with an object as its user before session control was on is session:invalid when read back with session control on', async function () {
    if (!server) return this.skip();
    const setups: Array<[string, AppConfig, AppConfig]> = [
      [ 'cookie', {}, { session: { control: { enable: true }, redis: { prefix: 'appuser-late-cookie:' } }, redis: redisClient(server.port) } ],
      [ 'redis', { session: { store: 'redis', control: { enable: false }, redis: { prefix: 'appuser-late-store:' } }, redis: redisClient(server.port) },
        { session: { store: 'redis', redis: { prefix: 'appuser-late-store:' } }, redis: redisClient(server.port) } ],
    ];
    for (const [ name, without, withControl ] of setups) {
      const writer = await started(without);
      let cookies: Map<string, string>;
      try {
        const device = new Device(writer.http.url);
        assert.equal((await device.get(`/assign?json=${json({ userId: { id: 'obj1' }, theme: 'dark' })}`)).status, 200, `${name}: written without session control`);
        assert.deepEqual((await device.get('/get')).body.session, { userId: { id: 'obj1' }, theme: 'dark' });
        cookies = device.cookies;
      } finally {
        await writer.http.close();
        await closeApp(writer.app);
      }
      const reader = await started(withControl);
      try {
        const device = new Device(reader.http.url);
        for (const [ cookie, value ] of cookies) device.cookies.set(cookie, value);
        const invalid = new Promise(resolve => reader.app.once('session:invalid', resolve));
        const res = await device.get('/get');
        assert.equal(res.status, 200, name);
        assert.deepEqual(res.body, { session: {}, isNew: true }, `${name}: nobody is signed in outside revocation`);
        await invalid;
      } finally {
        await reader.http.close();
        await closeApp(reader.app);
      }
    }
  });

  it('a dotted userKey (passport.user.id) names the user inside an object: listed and revocable; pointing at the object fails naming it', async function () {
    if (!server) return this.skip();
    const { app, http } = await started({ session: { store: 'redis', redis: { prefix: 'appuser-path:' }, userKey: 'passport.user.id' }, redis: redisClient(server.port) });
    try {
      const device = new Device(http.url);
      await device.get(`/assign?json=${json({ passport: { user: { id: 'p1', name: 'Ann' } } })}`);
      const listed = (await device.get('/devices')).body.sessions;
      assert.equal(listed.length, 1);
      assert.equal(listed[0].userId, 'p1');
      const control = (app as unknown as { sessions: { destroyAll(user: string): Promise<unknown> } }).sessions;
      await control.destroyAll('p1');
      assert.deepEqual((await device.get('/get')).body.session, {}, 'revoked');
    } finally {
      await http.close();
      await closeApp(app);
    }
    const object = await started({ session: { store: 'redis', redis: { prefix: 'appuser-obj:' }, userKey: 'passport.user' }, redis: redisClient(server.port) });
    try {
      object.app.mockLog('errorLogger');
      const res = await new Device(object.http.url).get(`/assign?json=${json({ passport: { user: { id: 'p1' } } })}`);
      assert.equal(res.status, 500);
      object.app.expectLog(/ctx\.session\.passport\.user \(config\.session\.userKey\) must be a string or a number, got object/, 'errorLogger');
    } finally {
      await object.http.close();
      await closeApp(object.app);
    }
  });
});
