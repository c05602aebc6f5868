import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { mm, type MockApplication } from '@eggjs/mock';
import type { Cluster, Redis } from 'ioredis';
import { bootApp, closeApp, type AppConfig } from './boot.js';
import { get, serve, type Served } from './http.js';

/** Where a suite's sessions live: an inspection client plus every master (for INFO / RESETSTAT). */
export interface RedisTarget {
  redis: Redis | Cluster;
  masters(): Redis[];
}

export interface StoreSuiteOptions {
  /** redis-app's config, asked for when the suite boots it (the Redis port(s) are known by then) */
  app: () => AppConfig;
  prefix: string;
  merge: boolean;
  target: () => RedisTarget;
}

/** The stored session in either format, without session control's hidden `_created` / `_authAt`. */
export async function readStored(redis: Redis | Cluster, key: string): Promise<Record<string, unknown> | undefined> {
  const type = await redis.type(key);
  let data: Record<string, unknown>;
  if (type === 'string') {
    data = JSON.parse((await redis.get(key))!);
  } else if (type === 'hash') {
    const fields = await redis.hgetall(key);
    data = Object.fromEntries(Object.entries(fields).map(([ name, json ]) => [ name, JSON.parse(json) ]));
  } else {
    return;
  }
  const { _created, _authAt, ...rest } = data;
  return rest;
}

export async function resetStats(target: RedisTarget): Promise<void> {
  await Promise.all(target.masters().map(node => node.config('RESETSTAT')));
}

/** Calls per command since the last reset, summed over all masters (commands run by scripts included). */
export async function commandCalls(target: RedisTarget): Promise<Record<string, number>> {
  const calls: Record<string, number> = {};
  for (const node of target.masters()) {
    const info = await node.info('commandstats');
    for (const match of info.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) {
      calls[match[1]] = (calls[match[1]] ?? 0) + Number(match[2]);
    }
  }
  return calls;
}

/** Full writes of a session value: SET (whole object) or HSET (merge script). */
function writes(calls: Record<string, number>): number {
  return (calls.set ?? 0) + (calls.hset ?? 0);
}

/** Hooks of the current suite: redis-app booted with `config()` and served on a loopback port. */
export function serveApp(config: () => AppConfig) {
  const state = {} as { app: MockApplication; http: Served };
  before(async () => {
    state.app = await bootApp('redis', config());
    state.http = await serve(state.app.callback());
  });
  after(async () => {
    await state.http?.close();
    await closeApp(state.app);
  });
  return state;
}

/**
 * The Redis store's behaviour over HTTP: storage format and TTL, PEXPIRE for unchanged data,
 * expiry, destroy, regenerate, corrupt values, older formats, no resurrection.
 */
export function describeStoreBehaviour(options: StoreSuiteOptions): void {
  const { prefix, merge } = options;
  const format = merge ? 'hash' : 'string';
  const state = serveApp(options.app);
  let target: RedisTarget;
  let redis: Redis | Cluster;
  before(() => {
    target = options.target();
    redis = target.redis;
  });
  const url = () => state.http.url;
  afterEach(mm.restore);

  async function newSession(query = 'name=egg'): Promise<string> {
    const res = await get(url(), `/set?${query}`);
    assert.equal(res.status, 200);
    assert.ok(res.sessionCookie, 'a session cookie is set');
    return res.sessionCookie!;
  }

  it(`stores the session (${format} format) under prefix + id with PX = maxAge + 10 s, and reads it back`, async () => {
    const id = await newSession();
    assert.equal(await redis.type(prefix + id), format);
    assert.deepEqual(await readStored(redis, prefix + id), { name: 'egg', _maxAge: 24 * 3600 * 1000 });
    const pttl = await redis.pttl(prefix + id);
    assert.ok(pttl > 24 * 3600 * 1000 && pttl <= 24 * 3600 * 1000 + 10_000, `pttl ${pttl}`);
    const res = await get(url(), '/get', id);
    assert.deepEqual(res.body.session, { name: 'egg' });
    assert.equal(res.body.isNew, false);
    assert.equal(res.sessionCookie, undefined, 'an unchanged session sets no cookie');
  });

  it("gives browser-session cookies (maxAge 'session') the configured sessionTTL, never 'session'", async () => {
    const id = await newSession();
    const res = await get(url(), '/max-age?value=session', id);
    assert.equal(res.status, 200);
    assert.deepEqual(await readStored(redis, prefix + id), { name: 'egg', _session: true });
    const pttl = await redis.pttl(prefix + id);
    assert.ok(pttl > 3590_000 && pttl <= 3600_000, `pttl ${pttl} should be redis.sessionTTL (1 h in this app)`);
    assert.deepEqual((await get(url(), '/get', id)).body.session, { name: 'egg' });
  });

  it('refreshes the TTL with PEXPIRE, not a write, when a rolling request changes nothing', async () => {
    const id = await newSession();
    await redis.pexpire(prefix + id, 60_000);
    await resetStats(target);
    const res = await get(url(), '/slow-touch', id);
    assert.equal(res.sessionCookie, id, 'rolling re-sends the cookie');
    const calls = await commandCalls(target);
    assert.equal(writes(calls), 0, `no SET/HSET: ${JSON.stringify(calls)}`);
    assert.equal(calls.pexpire, 1);
    assert.ok(await redis.pttl(prefix + id) > 24 * 3600 * 1000, 'TTL refreshed to maxAge + 10 s');
  });

  it('a forced save of unchanged data sends PEXPIRE; a maxAge change rewrites the value', async () => {
    const id = await newSession();
    await resetStats(target);
    await get(url(), '/save', id);
    let calls = await commandCalls(target);
    assert.equal(writes(calls), 0, `no write on save(): ${JSON.stringify(calls)}`);
    assert.equal(calls.pexpire, 1);

    // koa-session reports changed:false here too, but the stored `_maxAge` must change
    await resetStats(target);
    await get(url(), '/max-age?value=5000', id);
    calls = await commandCalls(target);
    assert.equal(writes(calls), 1, `one write on maxAge change: ${JSON.stringify(calls)}`);
    assert.equal((await readStored(redis, prefix + id))!._maxAge, 5000);
    assert.ok(await redis.pttl(prefix + id) <= 15_000);
  });

  it('a manual save() and the auto commit in one request write both changes', async () => {
    const id = await newSession();
    await resetStats(target);
    const res = await get(url(), '/save-twice', id);
    assert.equal(res.status, 200);
    // merge: HSET first, then HSET second only (the second save diffs against the first)
    assert.equal(writes(await commandCalls(target)), 2, 'two writes of one key or value each');
    assert.deepEqual(await readStored(redis, prefix + id), { name: 'egg', first: 1, second: 2, _maxAge: 24 * 3600 * 1000 });
  });

  it('keeps a rolling session alive past its first expiry although only PEXPIRE refreshed it', async () => {
    const id = await newSession();
    await get(url(), '/max-age?value=1500', id);
    // ~3 s of rolling requests: the expiry koa-session checks comes from the key's PTTL
    for (let i = 0; i < 6; i++) {
      await sleep(500);
      const res = await get(url(), '/slow-touch', id);
      assert.deepEqual(res.body.session, { name: 'egg' }, `request ${i} still has the session`);
    }
  });

  it('an idle session past maxAge is expired even though the key outlives it by 10 s', async () => {
    const id = await newSession();
    await get(url(), '/max-age?value=300', id);
    await sleep(500);
    const res = await get(url(), '/get', id);
    assert.equal(res.body.isNew, true);
    assert.deepEqual(res.body.session, {});
  });

  it('ctx.session = null deletes the key and clears the cookie', async () => {
    const id = await newSession();
    const res = await get(url(), '/remove', id);
    assert.equal(res.sessionCookie, '');
    assert.equal(await redis.exists(prefix + id), 0);
  });

  it('regenerate moves the whole session to a new key', async () => {
    const id = await newSession('a=1&b=2');
    const res = await get(url(), '/regenerate', id);
    const newId = res.sessionCookie!;
    assert.ok(newId && newId !== id);
    assert.equal(await redis.exists(prefix + id), 0);
    assert.deepEqual(await readStored(redis, prefix + newId), { a: '1', b: '2', _maxAge: 24 * 3600 * 1000 });
    assert.deepEqual((await get(url(), '/get', newId)).body.session, { a: '1', b: '2' });
  });

  const corrupt: [string, (key: string) => Promise<unknown>][] = [
    [ 'not JSON', key => redis.set(key, '{"name":', 'PX', 60_000) ],
    [ 'a JSON array', key => redis.set(key, '[1,2]', 'PX', 60_000) ],
    [ 'a JSON string', key => redis.set(key, '"egg"', 'PX', 60_000) ],
    [ 'a __proto__ payload', key => redis.set(key, '{"__proto__":{"admin":true}}', 'PX', 60_000) ],
    [ 'a hash with a bad field', key => redis.hset(key, 'name', 'not json') ],
    [ 'a hash field that splices JSON', key => redis.hset(key, 'name', '1,"admin":true') ],
    [ 'a list', key => redis.rpush(key, 'x') ],
  ];
  for (const [ label, write ] of corrupt) {
    it(`treats ${label} in Redis as a missing session (session:missed, new session, no 500)`, async () => {
      const id = randomUUID(); // the shape the app's genid makes: anything else never reaches the store
      await write(prefix + id);
      state.app.mockLog('coreLogger');
      const res = await get(url(), '/set?fresh=1', id);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.session, { fresh: '1' });
      assert.ok(res.sessionCookie && res.sessionCookie !== id, 'a new session id');
      await sleep(20); // koa-session emits on setImmediate
      state.app.expectLog(new RegExp(`\\[session\\]\\[missed\\] key\\(${id}\\)`), 'coreLogger');
    });
  }

  it('reads sessions written by a hand-written store (whole-object JSON with _expire) and keeps them on save', async () => {
    const id = randomUUID();
    await redis.set(prefix + id, JSON.stringify({ user: 'old', _expire: Date.now() + 60_000, _maxAge: 60_000 }), 'PX', 70_000);
    assert.deepEqual((await get(url(), '/get', id)).body.session, { user: 'old' });
    await get(url(), '/set?more=1', id);
    assert.equal(await redis.type(prefix + id), format, `saved in the ${format} format`);
    assert.deepEqual(await readStored(redis, prefix + id), { user: 'old', more: '1', _maxAge: 60_000 });
  });

  it(`reads sessions in the other format (${merge ? 'string' : 'hash'}) too`, async () => {
    const id = randomUUID();
    if (merge) {
      await redis.set(prefix + id, JSON.stringify({ user: 'string', _maxAge: 60_000 }), 'PX', 70_000);
    } else {
      await redis.hset(prefix + id, 'user', '"hash"', '_maxAge', '60000');
      await redis.pexpire(prefix + id, 70_000);
    }
    assert.deepEqual((await get(url(), '/get', id)).body.session, { user: merge ? 'string' : 'hash' });
  });

  it('does not resurrect a session destroyed while another request on it was running', async () => {
    const id = await newSession();
    const slow = get(url(), '/slow-set?key=late&value=1&delay=300', id);
    await sleep(100);
    const removed = await get(url(), '/remove', id);
    assert.equal(removed.status, 200);
    assert.equal((await slow).status, 200);
    assert.equal(await redis.exists(prefix + id), 0, 'the late write did not bring the session back');
  });

  it('does not resurrect it through the PEXPIRE path of an unchanged rolling request either', async () => {
    const id = await newSession();
    const slow = get(url(), '/slow-touch?delay=300', id);
    await sleep(100);
    await get(url(), '/remove', id);
    assert.equal((await slow).status, 200);
    assert.equal(await redis.exists(prefix + id), 0);
  });

  it('reports the store in the boot line', () => {
    state.app.expectLog(/\[egg-session-plus\] egg-session-plus@\S+ serving sessions, store: redis/, 'coreLogger');
  });
}

export interface MergeSuiteOptions {
  /** redis-app's configs with redis.merge false and true (asked for at boot) */
  wholeApp: () => AppConfig;
  mergeApp: () => AppConfig;
  wholePrefix: string;
  mergePrefix: string;
  target: () => RedisTarget;
}

/** User fields of a stored session (no `_maxAge` / `_session`). */
async function userFields(redis: Redis | Cluster, key: string): Promise<Record<string, unknown>> {
  const stored = (await readStored(redis, key)) ?? {};
  return Object.fromEntries(Object.entries(stored).filter(([ name ]) => !name.startsWith('_')));
}

const CONCURRENT = 100;

/**
 * Lost updates: the same concurrent scenarios against a whole-object store (which loses
 * changes: this proves the tests can fail) and a merge store (which keeps them).
 */
export function describeMergeBehaviour(options: MergeSuiteOptions): void {
  let redis: Redis | Cluster;
  before(() => {
    redis = options.target().redis;
  });

  /** one session, then CONCURRENT overlapping requests that each set their own field */
  async function concurrentFields(url: string, prefix: string): Promise<Record<string, unknown>> {
    const id = (await get(url, '/set?seed=0')).sessionCookie!;
    assert.ok(id);
    const replies = await Promise.all(Array.from({ length: CONCURRENT }, (_, i) =>
      get(url, `/slow-set?key=f${i}&value=${i}&delay=50`, id)));
    assert.ok(replies.every(res => res.status === 200));
    return userFields(redis, prefix + id);
  }

  /** {a, b}; one request deletes a while an overlapping one sets c */
  async function deleteWhileSetting(url: string, prefix: string): Promise<Record<string, unknown>> {
    const id = (await get(url, '/set?a=1&b=1')).sessionCookie!;
    const [ deleted, set ] = await Promise.all([
      get(url, '/slow-delete?key=a&delay=200', id),
      get(url, '/slow-set?key=c&value=1&delay=100', id),
    ]);
    assert.equal(deleted.status, 200);
    assert.equal(set.status, 200);
    return userFields(redis, prefix + id);
  }

  describe('with redis.merge: false (whole-object saves lose concurrent changes)', () => {
    const state = serveApp(options.wholeApp);

    it(`${CONCURRENT} concurrent requests setting different fields: fields are lost`, async () => {
      const fields = await concurrentFields(state.http.url, options.wholePrefix);
      const kept = Object.keys(fields).filter(name => name.startsWith('f')).length;
      console.log('      measured: whole-object store kept %d of %d fields', kept, CONCURRENT);
      assert.ok(kept < CONCURRENT, `expected lost updates, kept ${kept}`);
    });

    it('a delete interleaved with a set of another key: one of the two changes is lost', async () => {
      const fields = await deleteWhileSetting(state.http.url, options.wholePrefix);
      assert.notDeepEqual(fields, { b: '1', c: '1' });
    });
  });

  describe('with redis.merge: true (only changed keys are saved)', () => {
    const state = serveApp(options.mergeApp);
    const url = () => state.http.url;
    const prefix = options.mergePrefix;

    it(`${CONCURRENT} concurrent requests setting different fields: all fields are kept`, async () => {
      const fields = await concurrentFields(url(), prefix);
      const expected: Record<string, unknown> = { seed: '0' };
      for (let i = 0; i < CONCURRENT; i++) expected[`f${i}`] = String(i);
      assert.deepEqual(fields, expected);
    });

    it('a delete interleaved with a set of another key: both apply', async () => {
      assert.deepEqual(await deleteWhileSetting(url(), prefix), { b: '1', c: '1' });
    });

    it('the same key set by two overlapping requests: the last write wins', async () => {
      const id = (await get(url(), '/set?x=0&other=1')).sessionCookie!;
      await Promise.all([
        get(url(), '/slow-set?key=x&value=first&delay=50', id),
        get(url(), '/slow-set?key=x&value=last&delay=250', id),
      ]);
      assert.deepEqual(await userFields(redis, prefix + id), { x: 'last', other: '1' });
    });

    it('a changed nested value replaces that top-level key as a whole', async () => {
      const id = (await get(url(), '/set?name=egg')).sessionCookie!;
      await get(url(), `/set-json?key=cart&json=${encodeURIComponent('{"items":[1,2],"total":3}')}`, id);
      await get(url(), `/set-json?key=cart&json=${encodeURIComponent('{"items":[1]}')}`, id);
      assert.deepEqual(await userFields(redis, prefix + id), { name: 'egg', cart: { items: [ 1 ] } });
      assert.equal(await redis.hget(prefix + id, 'cart'), '{"items":[1]}', 'one hash field per top-level key');
    });

    it('assigning a new object saves it as changes to the keys this request loaded', async () => {
      const id = (await get(url(), '/set?a=1&b=1')).sessionCookie!;
      const [ replaced, set ] = await Promise.all([
        get(url(), '/slow-replace?key=z&value=1&delay=250', id),
        get(url(), '/slow-set?key=c&value=1&delay=50', id),
      ]);
      assert.equal(replaced.status, 200);
      assert.equal(set.status, 200);
      // a and b were loaded and are gone; c, set meanwhile by another request, stays
      assert.deepEqual(await userFields(redis, prefix + id), { z: '1', c: '1' });
    });

    it('sends only the changed fields: HSET/HDEL of those keys, no rewrite of the others', async () => {
      const id = (await get(url(), '/set?a=1&b=2&c=3')).sessionCookie!;
      const key = prefix + id;
      // another writer changes b directly in Redis; this request only changes a
      await redis.hset(key, 'b', '"changed elsewhere"');
      await get(url(), '/set?a=10', id);
      assert.deepEqual(await userFields(redis, key), { a: '10', b: 'changed elsewhere', c: '3' });
    });
  });
}
