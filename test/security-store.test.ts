import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { SessionControl } from '../index.js';
import { inspector, requireRedis, startRedisServer, usePrivateRedis, type RedisServer } from './helpers/redis.js';
import {
  bootWith, encryptedLegacyCookie, EventLog, issued, keyspace, keyspaceChanges, legacyData, redisReady, send,
  holdSlowRequest, inFlight, signedLegacyCookie, TAG_HEADER, uuid, UUID_V4, within, type Answer, type BootedApp,
} from './helpers/security.js';

const KEYS = [ 'security-store-key-1', 'security-store-key-0' ];
const DAY = 24 * 3600 * 1000;

function controlOf(booted: BootedApp): SessionControl {
  return Reflect.get(booted.app, 'sessions') as SessionControl;
}

/** Asserts a 2xx /get answer with a fresh, empty session. */
function assertFresh(answer: Answer, what: string): void {
  assert.ok(answer.status >= 200 && answer.status < 300, `${what}: status ${answer.status} ${answer.text.slice(0, 200)}`);
  assert.deepEqual(answer.body.session, {}, `${what}: a fresh empty session`);
  assert.equal(answer.body.isNew, true, `${what}: isNew`);
}

interface Race {
  oldId: string;
  newId: string;
}

/**
 * Signs `user` in, starts a slow request of that session (it loads the session, is held until the
 * logout is done, then writes a field), logs out with a flash meanwhile, and lets the slow request
 * finish: the logout must hand out a new id, and afterwards the old id is a fresh session and the
 * new one has the flash and no user.
 */
async function logoutRacingSlowRequest(booted: BootedApp, user: string): Promise<Race> {
  const oldId = issued(await send(booted.http.url, `/login?user=${user}`), 'login');
  const { arrival, release } = holdSlowRequest(booted.app);
  const slow = inFlight(send(booted.http.url, '/slow', `EGG_SESS=${oldId}`));
  let newId = '';
  try {
    await within(arrival, 5000, 'the slow request did not load its session');
    const bye = await send(booted.http.url, '/logout-flash', `EGG_SESS=${oldId}`);
    assert.equal(bye.status, 200);
    newId = issued(bye, '/logout-flash');
    assert.notEqual(newId, oldId, 'the flash after logout lives under a new id');
  } finally {
    release();
    const late = await slow;
    assert.ok(!(late instanceof Error) && late.status === 200, `the slow request: ${late instanceof Error ? late.message : late.status}`);
  }
  assertFresh(await send(booted.http.url, '/get', `EGG_SESS=${oldId}`), 'the old id after the slow request');
  const next = await send(booted.http.url, '/get', `EGG_SESS=${newId}`);
  assert.deepEqual(next.body.session.$flash?.notice, [ 'Signed out' ], `the flash: ${next.text.slice(0, 200)}`);
  assert.equal(next.body.session.userId, undefined);
  return { oldId, newId };
}

/**
 * Signs `user` in, starts a request of that session that is held after loading it and then calls
 * regenerate(), logs out meanwhile: the regenerated session must not carry the signed-in data to a
 * new id (the session was destroyed while the request ran).
 */
async function logoutRacingRegenerate(booted: BootedApp, user: string): Promise<void> {
  const oldId = issued(await send(booted.http.url, `/login?user=${user}`), 'login');
  const { arrival, release } = holdSlowRequest(booted.app);
  const slow = inFlight(send(booted.http.url, '/slow-regenerate', `EGG_SESS=${oldId}`));
  try {
    await within(arrival, 5000, 'the slow request did not load its session');
    assert.equal((await send(booted.http.url, '/logout', `EGG_SESS=${oldId}`)).status, 200);
  } finally {
    release();
  }
  const late = await slow;
  assert.ok(!(late instanceof Error) && late.status === 200, `the slow request: ${late instanceof Error ? late.message : late.status}`);
  if (late.cookie) {
    const revived = await send(booted.http.url, '/get', `EGG_SESS=${late.cookie}`);
    assert.equal(revived.body.session.userId, undefined, `the regenerated id carries the logged-out user: ${revived.text.slice(0, 200)}`);
  }
  assertFresh(await send(booted.http.url, '/get', `EGG_SESS=${oldId}`), 'the old id');
}

let tagCount = 0;
const nextTag = () => `t${++tagCount}`;

describe('security: store ids, stored values and logout (securityStoreApp)', function () {
  this.timeout(30_000);
  let server: RedisServer | undefined;
  let redis: Redis;
  const privateRedis = usePrivateRedis();
  before(() => ({ server, redis } = privateRedis));

  describe('store "redis" (prefix ss:, session control on)', () => {
    const PREFIX = 'ss:';
    let booted: BootedApp;
    let events: EventLog;
    before(async function () {
      if (!server) return this.skip();
      booted = await bootWith({ store: 'redis', redis: { prefix: PREFIX } }, server.port);
      events = new EventLog(booted.app);
    });
    after(async () => {
      events?.stop();
      await booted?.close();
    });

    async function login(user: string): Promise<string> {
      const id = issued(await send(booted.http.url, `/login?user=${user}`), 'login');
      assert.match(id, UUID_V4);
      return id;
    }

    it('hostile ids (index keys, hash tags, separators, 4000 chars, empty-looking, upper case) never reach Redis', async () => {
      // u1's index: sessions, meta and stamps from sign-ins, dead from a logout, revocation from destroyAll
      const first = await login('u1');
      const second = await login('u1');
      assert.equal((await send(booted.http.url, '/logout', `EGG_SESS=${second}`)).status, 200);
      await controlOf(booted).destroyAll('u1');
      assert.equal(await redis.exists(PREFIX + first), 0);
      await login('u1');
      const index = [ 'sessions', 'meta', 'stamps', 'dead', 'revocation' ].map(part => `{u:u1}:${part}`);
      for (const name of index) assert.equal(await redis.exists(PREFIX + name), 1, `${PREFIX}${name} exists`);

      const hostile = [
        ...index, ...index.map(name => PREFIX + name), 'ss:{u:u1}', '{u:u1}',
        '{x}abc', 'a{b}c', 'a:b', '../x', '%7Bu%3Au1%7D%3Ameta', '%7Bu%3Au1%7D%3Asessions',
        'x'.repeat(4000), 'null', 'undefined', '%20',
        uuid().toUpperCase(), `${uuid()}x`, `${uuid()}}`,
        // a UUID at the end only: what comes before it names another key (an index key's slot, a namespace)
        `x${uuid()}`, `{u:u1}:sessions${uuid()}`, `feature:flags:${uuid()}`,
      ];
      const before = await keyspace(redis);
      const problems: string[] = [];
      for (const id of hostile) {
        const label = JSON.stringify(id.length > 60 ? `${id.slice(0, 20)}...(${id.length})` : id);
        for (const path of [ '/get', '/set?field=1', '/logout' ]) {
          const tag = nextTag();
          const answer = await send(booted.http.url, path, `EGG_SESS=${id}`, { [TAG_HEADER]: tag });
          if (answer.status < 200 || answer.status > 299) problems.push(`${label} ${path}: status ${answer.status}`);
          if (path === '/get' && (JSON.stringify(answer.body.session) !== '{}' || answer.body.isNew !== true)) {
            problems.push(`${label} /get: not a fresh session: ${JSON.stringify(answer.body).slice(0, 200)}`);
          }
          if (path === '/set') {
            if (JSON.stringify(answer.body.session) !== '{"field":"1"}') problems.push(`${label} /set: saw ${JSON.stringify(answer.body.session).slice(0, 200)}`);
            if (!answer.cookie || !UUID_V4.test(answer.cookie)) problems.push(`${label} /set: new id ${answer.cookie?.slice(0, 60)}`);
          }
          if (path === '/logout' && answer.cookie) problems.push(`${label} /logout: sets ${answer.cookie.slice(0, 60)}`);
          if (!(await events.of(tag)).includes('invalid')) problems.push(`${label} ${path}: no session:invalid (${await events.of(tag)})`);
        }
      }
      const { changed, added } = keyspaceChanges(before, await keyspace(redis));
      for (const key of added) {
        if (!UUID_V4.test(key.slice(PREFIX.length)) || !key.startsWith(PREFIX)) problems.push(`new key ${key.slice(0, 80)}`);
      }
      for (const id of hostile) {
        if (added.some(key => key.includes(id))) problems.push(`a new key holds ${id.slice(0, 60)}`);
      }
      assert.deepEqual([ ...changed, ...problems ], []);
    });

    for (const [ kind, plant ] of [
      [ 'a JSON object without _maxAge/_session', (key: string) => redis.set(key, '{"userId":"admin","role":"admin"}', 'PX', DAY) ],
      [ 'a list', (key: string) => redis.rpush(key, '{"userId":"admin"}', '{"_maxAge":86400000}') ],
      [ 'a set', (key: string) => redis.sadd(key, '{"userId":"admin","_maxAge":86400000}') ],
      [ 'a hash without session fields', (key: string) => redis.hset(key, { userId: '"admin"', role: '"admin"' }) ],
    ] as const) {
      it(`a UUID id whose key holds ${kind} is a miss: never read, deleted or overwritten`, async () => {
        const id = uuid();
        const key = PREFIX + id;
        await plant(key);
        const planted = await keyspace(redis);
        assertFresh(await send(booted.http.url, '/get', `EGG_SESS=${id}`), `/get ${kind}`);
        assert.equal((await send(booted.http.url, '/logout', `EGG_SESS=${id}`)).status, 200);
        assert.deepEqual((await keyspace(redis)).get(key), planted.get(key), '/logout left the key alone');
        const saved = await send(booted.http.url, '/set?field=1', `EGG_SESS=${id}`);
        assert.equal(saved.status, 200);
        assert.deepEqual(saved.body.session, { field: '1' });
        const newId = issued(saved, '/set');
        assert.notEqual(newId, id, '/set saves under a NEW id');
        assert.match(newId, UUID_V4);
        assert.deepEqual((await keyspace(redis)).get(key), planted.get(key), '/set did not overwrite the key');
      });
    }

    for (const value of [
      { toJSON: 1, _maxAge: DAY },
      { save: 1, _maxAge: DAY },
      { maxAge: 'x', _maxAge: DAY },
    ]) {
      it(`a stored value ${JSON.stringify(value)} in Redis is session:invalid, 200 and a fresh session`, async () => {
        const id = uuid();
        await redis.set(PREFIX + id, JSON.stringify(value), 'PX', DAY);
        const tag = nextTag();
        assertFresh(await send(booted.http.url, '/get', `EGG_SESS=${id}`, { [TAG_HEADER]: tag }), 'model-colliding value');
        assert.ok((await events.of(tag)).includes('invalid'), `session:invalid (got ${await events.of(tag)})`);
      });
    }

    it('logout with a flash while a slow request of the user is in flight: new id, old one stays dead', async () => {
      const user = `race-${uuid().slice(0, 8)}`;
      const { oldId } = await logoutRacingSlowRequest(booted, user);
      assert.equal(await redis.exists(PREFIX + oldId), 0, 'the old key is gone');
      const control = controlOf(booted);
      const listed = (await control.list(user)).map(info => info.id);
      assert.ok(!listed.includes(control.idOf(oldId)), 'the old session is not listed');
      await control.destroyAll(user);
      assert.equal(await redis.exists(PREFIX + oldId), 0);
      assertFresh(await send(booted.http.url, '/get', `EGG_SESS=${oldId}`), 'the old id after destroyAll');
    });

    it('a store session the index never held (a hand-written store wrote it) is listed once used, and dies with destroyAll', async () => {
      const planted = uuid();
      await redis.set(PREFIX + planted, JSON.stringify({ userId: 'hw1', _maxAge: 86_400_000 }), 'PX', 86_410_000);
      assert.equal((await send(booted.http.url, '/get', `EGG_SESS=${planted}`)).body.session.userId, 'hw1', 'accepted before any revocation');
      assert.equal((await controlOf(booted).list('hw1')).length, 1, 'a read indexes it');
      const other = uuid();
      await redis.set(PREFIX + other, JSON.stringify({ userId: 'hw1', _maxAge: 86_400_000 }), 'PX', 86_410_000);
      await controlOf(booted).destroyAll('hw1');
      assert.equal(await redis.exists(PREFIX + planted), 0, 'the indexed one was destroyed');
      // never seen by the index: refused on its first request, destroyed, cookie cleared
      const refused = await send(booted.http.url, '/get', `EGG_SESS=${other}`);
      assertFresh(refused, 'the unindexed session after destroyAll');
      assert.equal(await redis.exists(PREFIX + other), 0, 'the unindexed one was destroyed on sight');
      assert.ok(refused.setCookies.some(line => line.startsWith('EGG_SESS=;')), `cookie cleared: ${JSON.stringify(refused.setCookies)}`);
    });

    it('regenerate() in a slow request that a logout overtook does not bring the session back under a new id', async () => {
      await logoutRacingRegenerate(booted, 'rg1');
      assert.deepEqual(await controlOf(booted).list('rg1'), []);
    });

    it('a login (regenerate(), then the user) that a logout of its old session overtook signs in on a fresh session, no 500', async () => {
      const oldId = issued(await send(booted.http.url, '/login?user=anon-before'), 'first visit');
      const { arrival, release } = holdSlowRequest(booted.app);
      const login = inFlight(send(booted.http.url, '/slow-login?user=rl2', `EGG_SESS=${oldId}`));
      try {
        await within(arrival, 5000, 'the login did not load its session');
        assert.equal((await send(booted.http.url, '/logout', `EGG_SESS=${oldId}`)).status, 200);
      } finally {
        release();
      }
      const answer = await login;
      assert.ok(!(answer instanceof Error) && answer.status === 200, `the login: ${answer instanceof Error ? answer.message : `${answer.status} ${answer.text.slice(0, 200)}`}`);
      assert.deepEqual(answer.body.session, { userId: 'rl2' }, 'nothing of the destroyed session came along');
      const newId = issued(answer, '/slow-login');
      assert.notEqual(newId, oldId);
      assert.equal((await send(booted.http.url, '/get', `EGG_SESS=${newId}`)).body.session.userId, 'rl2');
      assertFresh(await send(booted.http.url, '/get', `EGG_SESS=${oldId}`), 'the old id');
    });

    it('ctx.session = null; ctx.session = { userId } signs the same user in again on a new id', async () => {
      const oldId = issued(await send(booted.http.url, '/login?user=rl1'), 'login');
      const again = await send(booted.http.url, '/relogin?user=rl1', `EGG_SESS=${oldId}`);
      const newId = issued(again, '/relogin');
      assert.notEqual(newId, oldId);
      assert.equal((await send(booted.http.url, '/get', `EGG_SESS=${newId}`)).body.session.userId, 'rl1');
      assert.equal((await controlOf(booted).list('rl1')).length, 1);
      assertFresh(await send(booted.http.url, '/get', `EGG_SESS=${oldId}`), 'the old id');
    });

    it('ctx.session = null; ctx.session = { a: 1 } gets a new id', async () => {
      const oldId = await login(`replace-${uuid().slice(0, 8)}`);
      const answer = await send(booted.http.url, '/logout-replace', `EGG_SESS=${oldId}`);
      const newId = issued(answer, '/logout-replace');
      assert.notEqual(newId, oldId);
      assert.equal(await redis.exists(PREFIX + oldId), 0, 'the old session is destroyed');
      assert.deepEqual((await send(booted.http.url, '/get', `EGG_SESS=${newId}`)).body.session, { a: 1 });
    });
  });

  describe('store "redis" with redis.prefix \'\'', () => {
    let booted: BootedApp;
    let events: EventLog;
    before(async function () {
      if (!server) return this.skip();
      booted = await bootWith({ store: 'redis', redis: { prefix: '' } }, server.port);
      events = new EventLog(booted.app);
    });
    after(async () => {
      events?.stop();
      await booted?.close();
    });

    it('an id naming an unrelated JSON key (feature:flags) is not read, deleted or overwritten', async () => {
      await redis.set('feature:flags', '{"admin":true}');
      const tag = nextTag();
      assertFresh(await send(booted.http.url, '/get', 'EGG_SESS=feature:flags', { [TAG_HEADER]: tag }), '/get feature:flags');
      assert.ok((await events.of(tag)).includes('invalid'), 'session:invalid');
      assert.equal((await send(booted.http.url, '/logout', 'EGG_SESS=feature:flags')).status, 200);
      assert.equal(await redis.get('feature:flags'), '{"admin":true}', '/logout did not delete it');
      const saved = await send(booted.http.url, '/set?admin=false', 'EGG_SESS=feature:flags');
      assert.equal(saved.status, 200);
      assert.notEqual(issued(saved, '/set'), 'feature:flags');
      assert.equal(await redis.get('feature:flags'), '{"admin":true}', '/set did not overwrite it');
      assert.equal(await redis.pttl('feature:flags'), -1, 'no TTL put on it');
    });
  });

  describe('store "redis" with a custom genid (ids signed in their cookie; prefix sg:, session control on)', () => {
    const PREFIX = 'sg:';
    let booted: BootedApp;
    let events: EventLog;
    before(async function () {
      if (!server) return this.skip();
      booted = await bootWith({ store: 'redis', redis: { prefix: PREFIX } }, server.port, { variant: 'custom-genid' });
      events = new EventLog(booted.app);
    });
    after(async () => {
      events?.stop();
      await booted?.close();
    });

    /** A Cookie header with `id` as the session id, signed with the app's keys the way egg signs the id cookie. */
    function signedIdCookie(id: string): string {
      const ctx = booted.app.createAnonymousContext();
      ctx.cookies.set('EGG_SESS', id, { signed: true });
      const lines = [ ctx.response.get('set-cookie') ?? [] ].flat() as string[];
      const sig = lines.map(line => line.split(';')[0]).find(pair => pair.startsWith('EGG_SESS.sig='));
      assert.ok(sig, `egg signed the id: ${JSON.stringify(lines)}`);
      return `EGG_SESS=${id}; ${sig}`;
    }

    it('a correctly signed id naming an index key ({u:<user>}:revocation) never reaches Redis: session:invalid, fresh, no key read or written', async () => {
      const victim = `victim-${uuid().slice(0, 8)}`;
      const genuine = issued(await send(booted.http.url, `/login?user=${victim}`), 'login');
      assert.match(genuine, /^gid\.[0-9a-f-]{36}$/, "the app's genid");
      // the same signing lets the genuine id in: the hostile ones below fail on their braces, not their signature
      assert.equal((await send(booted.http.url, '/get', signedIdCookie(genuine))).body.session.userId, victim);
      await controlOf(booted).destroyAll(victim);
      const index = [ 'sessions', 'meta', 'stamps', 'dead', 'revocation' ].map(part => `{u:${victim}}:${part}`);
      assert.equal(await redis.exists(PREFIX + index[4]), 1, 'the revocation record exists');
      const hostile = [ ...index, `{u:${victim}}`, `${PREFIX}{u:${victim}}:revocation`, 'a{b}c', `gid.${uuid()}}` ];

      const before = await keyspace(redis);
      const monitor = await redis.monitor();
      const commands: string[][] = [];
      monitor.on('monitor', (_time: string, args: string[]) => commands.push(args));
      const problems: string[] = [];
      try {
        for (const id of hostile) {
          for (const path of [ '/get', '/set?field=1', '/logout' ]) {
            const tag = nextTag();
            const answer = await send(booted.http.url, path, signedIdCookie(id), { [TAG_HEADER]: tag });
            if (answer.status !== 200) problems.push(`${id} ${path}: status ${answer.status}`);
            if (path === '/get' && (JSON.stringify(answer.body.session) !== '{}' || answer.body.isNew !== true)) {
              problems.push(`${id} /get: not a fresh session: ${answer.text.slice(0, 200)}`);
            }
            if (path === '/set' && !/^gid\.[0-9a-f-]{36}$/.test(answer.cookie ?? '')) problems.push(`${id} /set: new id ${answer.cookie}`);
            if (!(await events.of(tag)).includes('invalid')) problems.push(`${id} ${path}: no session:invalid (${await events.of(tag)})`);
          }
        }
        // MONITOR lines arrive in order: once this marker is seen, every command of the requests above was
        const marker = `end-of-hostile-ids-${uuid()}`;
        await redis.echo(marker);
        for (let wait = 0; wait < 100 && !commands.some(args => args.includes(marker)); wait++) await sleep(20);
        assert.ok(commands.some(args => args.includes(marker)), 'MONITOR saw the marker');
      } finally {
        monitor.disconnect();
      }
      for (const id of hostile) {
        // the key the store would have used, as a command's argument (EVALSHA's KEYS too)
        const touching = commands.filter(args => args.includes(PREFIX + id));
        if (touching.length) problems.push(`${id} reached Redis: ${touching.map(args => args.slice(0, 3).join(' ')).join('; ')}`);
      }
      const { changed, added } = keyspaceChanges(before, await keyspace(redis));
      for (const key of added) if (!/^sg:gid\.[0-9a-f-]{36}$/.test(key)) problems.push(`new key ${key}`);
      assert.deepEqual([ ...changed, ...problems ], []);
    });
  });

  for (const control of [ true, false ]) {
    describe(`store "redis" with redis.merge: true${control ? ' (session control on)' : ' and control: { enable: false }'}`, () => {
      const PREFIX = control ? 'sm:' : 'smn:';
      let booted: BootedApp;
      before(async function () {
        if (!server) return this.skip();
        booted = await bootWith({ store: 'redis', redis: { prefix: PREFIX, merge: true }, ...(control ? {} : { control: { enable: false } }) }, server.port);
      });
      after(() => booted?.close());

      it('logout with a flash while a slow request is in flight: the late merge save does not write the old key back', async () => {
        const { oldId, newId } = await logoutRacingSlowRequest(booted, `merge-${control ? 'c' : 'n'}-${uuid().slice(0, 8)}`);
        assert.equal(await redis.exists(PREFIX + oldId), 0, 'the old key is gone');
        assert.equal(await redis.type(PREFIX + newId), 'hash', 'merge saves write hashes');
      });

      it('regenerate() in a slow request that a logout overtook does not bring the session back', async () => {
        await logoutRacingRegenerate(booted, `merge-rg-${control ? 'c' : 'n'}`);
      });
    });
  }

  describe('store "redis" with control: { enable: false }', () => {
    const PREFIX = 'ssn:';
    let booted: BootedApp;
    before(async function () {
      if (!server) return this.skip();
      booted = await bootWith({ store: 'redis', redis: { prefix: PREFIX }, control: { enable: false } }, server.port);
    });
    after(() => booted?.close());

    it('regenerate() in a slow request that a logout overtook does not bring the session back', async () => {
      await logoutRacingRegenerate(booted, 'rg2');
    });

    it('logout with a flash while a slow request is in flight: new id, old one stays dead', async () => {
      const { oldId } = await logoutRacingSlowRequest(booted, 'nc1');
      assert.equal(await redis.exists(PREFIX + oldId), 0, 'the old key is gone');
    });
  });

  describe('store "memory" (storeTimeout 100)', () => {
    let booted: BootedApp;
    let events: EventLog;
    before(async function () {
      if (!server) return this.skip();
      booted = await bootWith({ store: 'memory', storeTimeout: 100 }, server.port);
      events = new EventLog(booted.app);
    });
    after(async () => {
      events?.stop();
      await booted?.close();
    });
    it('regenerate() in a slow request that a logout overtook does not bring the session back', async () => {
      await logoutRacingRegenerate(booted, 'rg3');
    });

    const memory = () => booted.app.sessionStore as unknown as {
      get(key: string): Promise<unknown>; set(key: string, value: unknown, maxAge: number): Promise<void>;
    };

    it('logout with a flash while a slow request is in flight: new id, old one stays dead', async () => {
      const { oldId } = await logoutRacingSlowRequest(booted, 'm1');
      assert.equal(await memory().get(oldId), undefined, 'nothing stored under the old id');
    });

    for (const value of [
      { toJSON: 1, _maxAge: DAY },
      { save: 1, _maxAge: DAY },
      { maxAge: 'x', _maxAge: DAY },
    ]) {
      it(`a value ${JSON.stringify(value)} in the memory store is session:invalid, 200 and fresh`, async () => {
        const id = uuid();
        await memory().set(id, value, DAY);
        const tag = nextTag();
        assertFresh(await send(booted.http.url, '/get', `EGG_SESS=${id}`, { [TAG_HEADER]: tag }), 'memory store');
        assert.ok((await events.of(tag)).includes('invalid'), `session:invalid (got ${await events.of(tag)})`);
      });

      it(`a value ${JSON.stringify(value)} from a custom app.sessionStore is session:invalid, 200 and fresh`, async () => {
        const builtin = booted.app.sessionStore;
        booted.app.sessionStore = {
          async get() { return JSON.parse(JSON.stringify(value)); },
          async set() { /* nothing */ },
          async destroy() { /* nothing */ },
        } as any;
        try {
          const tag = nextTag();
          assertFresh(await send(booted.http.url, '/get', `EGG_SESS=${uuid()}`, { [TAG_HEADER]: tag }), 'custom store');
          assert.ok((await events.of(tag)).includes('invalid'), `session:invalid (got ${await events.of(tag)})`);
        } finally {
          booted.app.sessionStore = builtin;
        }
      });
    }

    it('a store set that times out answers 503 saying the session "may have been saved"', async () => {
      const builtin = booted.app.sessionStore;
      booted.app.sessionStore = {
        async get() { return undefined; },
        set: () => new Promise(() => undefined),
        async destroy() { /* nothing */ },
      } as any;
      try {
        const answer = await send(booted.http.url, '/set?field=1', undefined, { accept: 'application/json' });
        assert.equal(answer.status, 503);
        assert.match(answer.text, /may have been saved/);
      } finally {
        booted.app.sessionStore = builtin;
      }
    });
  });

  describe('cookie sessions with session control: legacy cookies and revocation', () => {
    const PREFIX = 'ssc:';
    let booted: BootedApp;
    let optedIn: BootedApp;
    let events: EventLog;
    before(async function () {
      if (!server) return this.skip();
      booted = await bootWith({ control: { enable: true }, redis: { prefix: PREFIX } }, server.port);
      optedIn = await bootWith({ control: { enable: true }, redis: { prefix: PREFIX }, legacyEncryptedCookies: true }, server.port);
      events = new EventLog(booted.app);
    });
    after(async () => {
      events?.stop();
      await booted?.close();
      await optedIn?.close();
    });

    async function assertRefused(app: BootedApp, log: EventLog, cookie: string, what: string): Promise<void> {
      const tag = nextTag();
      const answer = await send(app.http.url, '/get', cookie, { [TAG_HEADER]: tag });
      assertFresh(answer, what);
      assert.ok((await log.of(tag)).includes('invalid'), `${what}: session:invalid (got ${await log.of(tag)})`);
      assert.equal(answer.cookie, '', `${what}: the cookie is cleared (${JSON.stringify(answer.setCookies)})`);
    }

    it('a signed legacy cookie and a sealed cookie of the user are accepted, then refused after destroyAll', async () => {
      const user = `lg-${uuid().slice(0, 8)}`;
      const legacy = signedLegacyCookie(KEYS, legacyData({ userId: user, role: 'editor' }));
      const accepted = await send(booted.http.url, '/get', legacy);
      assert.equal(accepted.body.session.userId, user, `the signed legacy cookie is accepted: ${accepted.text.slice(0, 200)}`);
      assert.equal(accepted.body.isNew, false);
      const sealed = `EGG_SESS=${issued(await send(booted.http.url, `/login?user=${user}`), 'login')}`;
      assert.equal((await send(booted.http.url, '/get', sealed)).body.session.userId, user);
      await sleep(5);

      await controlOf(booted).destroyAll(user);
      await assertRefused(booted, events, legacy, 'the signed legacy cookie');
      await assertRefused(booted, events, sealed, 'the sealed cookie');
    });

    it('with legacyEncryptedCookies: true, an egg-encrypted legacy cookie is accepted, then refused after destroyAll', async () => {
      const user = `le-${uuid().slice(0, 8)}`;
      const log = new EventLog(optedIn.app);
      try {
        const legacy = encryptedLegacyCookie(KEYS, legacyData({ userId: user }));
        const accepted = await send(optedIn.http.url, '/get', legacy);
        assert.equal(accepted.body.session.userId, user, `the encrypted legacy cookie is accepted when opted in: ${accepted.text.slice(0, 200)}`);
        await controlOf(optedIn).destroyAll(user);
        await assertRefused(optedIn, log, legacy, 'the encrypted legacy cookie');
      } finally {
        log.stop();
      }
    });
  });
});

describe('security: logout and revocation checks while Redis is down (own redis-server, stopped)', function () {
  this.timeout(30_000);
  let server: RedisServer | undefined;
  let anonymousStore: BootedApp;
  let failStore: BootedApp;
  let anonymousCookie: BootedApp;
  const ids: Record<string, string> = {};
  before(async function () {
    if (!requireRedis(this)) return;
    // persisted on shutdown, so the sessions are still there once the server is back
    server = await startRedisServer([ '--save', '3600 1' ]);
    anonymousStore = await bootWith({ store: 'redis', redis: { prefix: 'ssa:' }, onStoreError: 'anonymous', storeTimeout: 300 }, server.port);
    failStore = await bootWith({ store: 'redis', redis: { prefix: 'ssf:' }, onStoreError: 'fail', storeTimeout: 300 }, server.port);
    anonymousCookie = await bootWith({ control: { enable: true }, redis: { prefix: 'ssk:' }, onStoreError: 'anonymous', storeTimeout: 300 }, server.port);
    ids.anonymous = issued(await send(anonymousStore.http.url, '/login?user=down1'), 'login');
    ids.fail = issued(await send(failStore.http.url, '/login?user=down2'), 'login');
    ids.cookie = issued(await send(anonymousCookie.http.url, '/login?user=down3'), 'login');
    await server.stop();
  });
  after(async () => {
    await anonymousStore?.close();
    await failStore?.close();
    await anonymousCookie?.close();
    await server?.stop();
  });

  it("the fixture's isAnonymousSession sees the plugin's mark (a failed store read under 'anonymous')", async () => {
    // control for the two tests below: the route's isAnonymousSession is the plugin's own
    const answer = await send(anonymousStore.http.url, '/get', `EGG_SESS=${ids.anonymous}`);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.anonymous, true, answer.text.slice(0, 200));
    assert.equal(answer.cookie, undefined);
  });

  it('a store failure is logged with the session\'s reference, never its id (the id is a credential)', async () => {
    failStore.app.mockLog('coreLogger');
    const answer = await send(failStore.http.url, '/get', `EGG_SESS=${ids.fail}`);
    assert.equal(answer.status, 503);
    await sleep(20);
    failStore.app.expectLog(/\[session\]\[error\] key\(ref:[\w-]{22}\) /, 'coreLogger');
    failStore.app.notExpectLog(ids.fail, 'coreLogger');
  });

  it('a failed "log out everywhere" (app.sessions.destroyAll) is a SessionStoreError (503), not a plain error (500)', async () => {
    await assert.rejects(controlOf(failStore).destroyAll('down2'), (error: Error & { status?: number; code?: string }) => {
      assert.equal(error.name, 'SessionStoreError');
      assert.equal(error.status, 503);
      assert.equal(error.code, 'SESSION_STORE_UNAVAILABLE');
      return true;
    });
  });

  it("onStoreError 'anonymous': a failed logout leaves the cookie alone and the request is anonymous", async () => {
    const bye = await send(anonymousStore.http.url, '/logout', `EGG_SESS=${ids.anonymous}`);
    assert.equal(bye.status, 200);
    assert.equal(bye.cookie, undefined, `no Set-Cookie for EGG_SESS (got ${JSON.stringify(bye.setCookies)})`);
    assert.equal(bye.body.anonymous, true, 'isAnonymousSession(ctx)');
  });

  it("onStoreError 'fail': a failed logout answers 503 and sends no clearing cookie", async () => {
    const bye = await send(failStore.http.url, '/logout', `EGG_SESS=${ids.fail}`);
    assert.equal(bye.status, 503);
    assert.equal(bye.cookie, undefined, `no Set-Cookie for EGG_SESS (got ${JSON.stringify(bye.setCookies)})`);
  });

  it("onStoreError 'anonymous': a failed revocation check of a cookie session makes the request anonymous", async () => {
    const answer = await send(anonymousCookie.http.url, '/get', `EGG_SESS=${ids.cookie}`);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.anonymous, true, `isAnonymousSession(ctx): ${answer.text.slice(0, 200)}`);
    assert.equal(answer.cookie, undefined, 'the cookie is left alone');
  });

  it('once Redis is back, the session the failed logout could not destroy still has its user', async () => {
    await server!.start();
    await redisReady(anonymousStore.app);
    const redis = inspector(server!.port);
    try {
      assert.equal(await redis.exists(`ssa:${ids.anonymous}`), 1, 'the session survived the restart');
    } finally {
      redis.disconnect();
    }
    const answer = await send(anonymousStore.http.url, '/get', `EGG_SESS=${ids.anonymous}`);
    assert.equal(answer.body.session.userId, 'down1', `the browser was not told it is signed out: ${answer.text.slice(0, 200)}`);
  });
});
