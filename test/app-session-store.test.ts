import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mm, type MockApplication } from '@eggjs/mock';
import { request, TestAgent } from '@eggjs/supertest';
import { assertCleared, cookieHeader, setCookie, setCookieLines } from './helpers/cookies.js';
import { bootApp } from './helpers/boot.js';

interface StoreCall { op: string; key: string; maxAge?: number | string; changed?: boolean; rolling?: boolean; hasCtx: boolean }
interface MapStore {
  name: string;
  data: Map<string, any>;
  calls: StoreCall[];
  ops(): string[];
  app?: unknown;
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  destroy(key: string): Promise<void>;
}
type MapStoreClass = new (nameOrApp?: unknown) => MapStore;

const require = createRequire(import.meta.url);
const { MapStore, AppMapStore } = require('./fixtures/base/map-store.js') as {
  MapStore: MapStoreClass; AppMapStore: MapStoreClass;
};

const DAY = 24 * 3600 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('external store', () => {
  let app: MockApplication;
  let store: MapStore;
  before(async () => {
    // app.js installs the recording MapStore; renew: re-save a session in its last half day
    app = await bootApp('cookie', { keys: 'fd-store-key', fixture: { routes: 'app-session-store', store: 'recording' }, session: { renew: true } });
  });
  beforeEach(() => {
    // a clean store per test, set the way app.js does
    app.sessionStore = new MapStore('app.js') as any;
    store = app.sessionStore as unknown as MapStore;
  });
  after(() => app.close());
  afterEach(mm.restore);

  it('app.sessionStore set in app.js (function form) keeps the data; the cookie holds only the id', async () => {
    const agent = new TestAgent(app.callback());
    const set = await agent.get('/set?name=egg').expect(200);
    const cookie = setCookie(set);
    assert.match(cookie.value, UUID);
    assert.equal(set.body.externalKey, cookie.value);
    const saved = store.data.get(cookie.value);
    assert.equal(saved.name, 'egg');
    assert.equal(saved._maxAge, DAY);
    assert.ok(Math.abs(saved._expire - (Date.now() + DAY)) < 5000);
    const setCall = store.calls.find(call => call.op === 'set')!;
    // koa-session keeps the entry 10 s longer than the cookie
    assert.deepEqual(setCall, { op: 'set', key: cookie.value, maxAge: DAY + 10000, changed: true, hasCtx: true });

    const read = await agent.get('/get').expect(200);
    assert.deepEqual(read.body, { session: { name: 'egg' }, isNew: false, externalKey: cookie.value, maxAge: DAY });
    assert.deepEqual(store.calls.filter(call => call.op === 'get').at(-1),
      { op: 'get', key: cookie.value, maxAge: DAY, rolling: false, hasCtx: true });
    assert.deepEqual(setCookieLines(read), [], 'an unchanged session is not re-saved');
    assert.deepEqual(store.ops(), [ 'set', 'get' ]);
  });

  it('ctx.session = null clears the cookie and destroys the store entry', async () => {
    const set = await request(app.callback()).get('/set?name=egg');
    const key = setCookie(set).value;
    assert.ok(store.data.has(key));
    const removed = await request(app.callback()).get('/remove').set('cookie', cookieHeader(set)).expect(200);
    assertCleared(setCookie(removed));
    assert.equal(store.data.has(key), false);
    assert.deepEqual(store.calls.at(-1), { op: 'destroy', key, hasCtx: true });
  });

  it('regenerate() moves the data to a new id and destroys the old entry', async () => {
    const set = await request(app.callback()).get('/set?user=7');
    const oldKey = setCookie(set).value;
    const res = await request(app.callback()).get('/regenerate').set('cookie', cookieHeader(set)).expect(200);
    assert.equal(res.body.before, oldKey);
    assert.deepEqual(res.body.session, { user: '7' });
    const cookies = setCookieLines(res).map(line => line.split(';')[0]);
    const newKey = cookies.at(-1)!.replace('EGG_SESS=', '');
    assert.match(newKey, UUID);
    assert.notEqual(newKey, oldKey);
    assert.equal(store.data.has(oldKey), false);
    assert.equal(store.data.get(newKey).user, '7');
    assert.ok(store.calls.some(call => call.op === 'destroy' && call.key === oldKey));

    const old = await request(app.callback()).get('/get').set('cookie', `EGG_SESS=${oldKey}`).expect(200);
    assert.equal(old.body.isNew, true);
    const fresh = await request(app.callback()).get('/get').set('cookie', `EGG_SESS=${newKey}`).expect(200);
    assert.deepEqual(fresh.body.session, { user: '7' });
  });

  it('save() re-saves an unchanged session (store.set with changed: false)', async () => {
    const set = await request(app.callback()).get('/set?a=1');
    const key = setCookie(set).value;
    store.calls.length = 0;
    const saved = await request(app.callback()).get('/save').set('cookie', cookieHeader(set)).expect(200);
    assert.equal(setCookie(saved).value, key);
    assert.deepEqual(store.ops(), [ 'get', 'set' ]);
    assert.equal(store.calls[1].changed, false);
  });

  it("ctx.session.maxAge = 'session' stores maxAge 'session' and sends a browser-session cookie", async () => {
    const set = await request(app.callback()).get('/set?a=1');
    const key = setCookie(set).value;
    store.calls.length = 0;
    const res = await request(app.callback()).get('/max-age?value=session').set('cookie', cookieHeader(set)).expect(200);
    const cookie = setCookie(res);
    assert.equal(cookie.value, key);
    assert.equal(cookie.attrs.expires, undefined);
    assert.equal(cookie.attrs['max-age'], undefined);
    assert.equal(store.calls.at(-1)!.maxAge, 'session');
    assert.equal(store.data.get(key)._session, true);
    const read = await request(app.callback()).get('/get').set('cookie', `EGG_SESS=${key}`).expect(200);
    assert.equal(read.body.maxAge, 'session');
  });

  it('renew: true re-saves a session in the second half of its life, and only then', async () => {
    const set = await request(app.callback()).get('/set?a=1');
    const key = setCookie(set).value;
    const cookie = `EGG_SESS=${key}`;
    const young = await request(app.callback()).get('/get').set('cookie', cookie).expect(200);
    assert.deepEqual(setCookieLines(young), []);

    store.data.get(key)._expire = Date.now() + 60 * 1000; // a minute left of a day
    store.calls.length = 0;
    const old = await request(app.callback()).get('/get').set('cookie', cookie).expect(200);
    assert.deepEqual(old.body.session, { a: '1' });
    assert.equal(setCookie(old).value, key);
    assert.equal(setCookie(old).attrs['max-age'], String(DAY / 1000));
    assert.deepEqual(store.ops(), [ 'get', 'set' ]);
    assert.equal(store.calls[1].changed, false);
    assert.ok(store.data.get(key)._expire > Date.now() + DAY - 5000);
  });

  it('an untouched request sets no cookie and writes nothing to the store', async () => {
    const res = await request(app.callback()).get('/untouched').expect(200);
    assert.deepEqual(setCookieLines(res), []);
    assert.deepEqual(store.ops(), [], 'no cookie, no store call');

    const set = await request(app.callback()).get('/set?a=1');
    store.calls.length = 0;
    const withCookie = await request(app.callback()).get('/untouched').set('cookie', cookieHeader(set)).expect(200);
    assert.deepEqual(setCookieLines(withCookie), []);
    assert.deepEqual(store.ops(), [ 'get' ], 'koa-session loads a store session up front, and saves nothing');
  });

  it('can be replaced at runtime: new sessions go to the new store, old ids are unknown there', async () => {
    const set = await request(app.callback()).get('/set?name=first');
    const oldKey = setCookie(set).value;
    const second = new MapStore('second');
    app.sessionStore = second as any;
    assert.equal(app.sessionStore, second);

    const old = await request(app.callback()).get('/get').set('cookie', `EGG_SESS=${oldKey}`).expect(200);
    assert.equal(old.body.isNew, true);
    assert.deepEqual(second.calls[0], { op: 'get', key: oldKey, maxAge: DAY, rolling: false, hasCtx: true });

    const agent = new TestAgent(app.callback());
    await agent.get('/set?name=second').expect(200);
    const read = await agent.get('/get').expect(200);
    assert.deepEqual(read.body.session, { name: 'second' });
    assert.equal(second.data.get(read.body.externalKey).name, 'second');
    assert.equal(store.data.has(read.body.externalKey), false);
  });

  it('accepts a class and constructs it with the app', async () => {
    app.sessionStore = AppMapStore as any;
    const instance = app.sessionStore as unknown as MapStore;
    assert.ok(instance instanceof AppMapStore);
    // mm.app() hands out a proxy of the application: compare what the store got by its config
    assert.ok((instance.app as MockApplication).config === app.config, 'constructed with the app');

    const agent = new TestAgent(app.callback());
    const set = await agent.get('/set?name=klass').expect(200);
    assert.equal(instance.data.get(setCookie(set).value).name, 'klass');
    const read = await agent.get('/get').expect(200);
    assert.deepEqual(read.body.session, { name: 'klass' });
  });

  it('app.sessionStore = null turns the store off: sessions live in the sealed cookie', async () => {
    app.sessionStore = null as any;
    assert.equal(app.sessionStore, undefined);
    const agent = new TestAgent(app.callback());
    const set = await agent.get('/set?name=cookie').expect(200);
    const cookie = setCookie(set);
    assert.match(cookie.value, /^v2\./);
    const read = await agent.get('/get').expect(200);
    assert.deepEqual(read.body, { session: { name: 'cookie' }, isNew: false, externalKey: null, maxAge: DAY });
    assert.deepEqual(store.calls, [], 'the old store is not used any more');
  });

  it('rejects a store without get/set/destroy, naming what is missing, and keeps the current one', () => {
    assert.throws(() => { app.sessionStore = { get() {}, set() {} } as any; }, /app\.sessionStore is missing method\(s\): destroy\(\)/);
    assert.throws(() => { app.sessionStore = { destroy() {} } as any; }, /missing method\(s\): get\(\), set\(\)/);
    class NoDestroy {
      async get() {}
      async set() {}
    }
    assert.throws(() => { app.sessionStore = NoDestroy as any; }, /missing method\(s\): destroy\(\)/);
    assert.throws(() => { app.sessionStore = 42 as any; }, /app\.sessionStore must be an object with get\/set\/destroy methods or a class, got number/);
    assert.equal(app.sessionStore, store);
  });
});
