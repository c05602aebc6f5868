'use strict';
const assert = require('node:assert');
const path = require('node:path');
const mm = require('egg-mock');
const { get, sessionCookie, jar } = require('./helpers/http');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A store as an app writes one: a Map, and what it was asked. */
function mapStore() {
  const data = new Map();
  return {
    data,
    async get(key) { return data.get(key); },
    async set(key, value) { data.set(key, value); },
    async destroy(key) { data.delete(key); },
  };
}

describe('egg 3, package route (`session: { package: \'egg-session-plus\' }`): cookie sessions, app.sessionStore, flash', () => {
  let app;
  before(() => {
    app = mm.app({ baseDir: 'cookie-app' });
    return app.ready();
  });
  afterEach(() => { app.sessionStore = null; });
  after(() => app.close());

  it('loads egg-session-plus as the session plugin, from its package root (the egg 3 shims)', () => {
    const plugin = app.plugins.session;
    assert.strictEqual(plugin.package, 'egg-session-plus');
    assert.strictEqual(plugin.path, path.join(process.cwd(), 'node_modules/egg-session-plus'));
    assert.strictEqual(require(path.join(plugin.path, 'package.json')).name, 'egg-session-plus');
    assert.ok(app.config.coreMiddleware.includes('session'));
  });

  it('its boot-time egg check finds egg 3 through egg 3\'s loader (the call app.js makes, no warning)', () => {
    const { checkEggVersion } = require(path.join(app.plugins.session.path, 'dist/commonjs/lib/egg-version.js'));
    const warnings = [];
    assert.strictEqual(checkEggVersion(app.loader.eggPaths, message => warnings.push(message)), require('egg/package.json').version);
    assert.match(require('egg/package.json').version, /^3\./);
    assert.deepStrictEqual(warnings, []);
  });

  it('keeps ctx.session.count across requests in a sealed cookie (count 1 → 2 through the returned cookie)', async () => {
    const first = await get(app, '/count').expect(200, { count: 1, isNew: true });
    const sealed = sessionCookie(first);
    assert.match(sealed, /^v2\.[A-Za-z0-9_-]+$/);
    // sealed, not egg-session's base64 JSON: the value does not show the data
    assert.doesNotMatch(Buffer.from(sealed.slice(3), 'base64url').toString('latin1'), /count/);
    assert.ok(!first.headers['set-cookie'].some(line => line.startsWith('EGG_SESS.sig=') && !line.startsWith('EGG_SESS.sig=;')),
      'no .sig cookie beside a sealed one');
    const second = await get(app, '/count', jar(first)).expect(200, { count: 2, isNew: false });
    assert.match(sessionCookie(second), /^v2\./);
    await get(app, '/count', jar(second)).expect(200, { count: 3, isNew: false });
  });

  it('a tampered sealed cookie starts a fresh session', async () => {
    const first = await get(app, '/count').expect(200);
    const sealed = sessionCookie(first);
    const flipped = sealed.slice(0, -2) + (sealed.at(-2) === 'A' ? 'B' : 'A') + sealed.at(-1);
    await get(app, '/count', `EGG_SESS=${flipped}`).expect(200, { count: 1, isNew: true });
  });

  it('app.sessionStore = an object: sessions live in it, the cookie holds only the id', async () => {
    const store = mapStore();
    app.sessionStore = store;
    assert.strictEqual(app.sessionStore, store);
    const first = await get(app, '/count').expect(200, { count: 1, isNew: true });
    const id = sessionCookie(first);
    assert.match(id, UUID);
    assert.strictEqual(store.data.size, 1);
    assert.strictEqual(store.data.get(id).count, 1);
    await get(app, '/count', jar(first)).expect(200, { count: 2, isNew: false });
    assert.strictEqual(store.data.get(id).count, 2);
  });

  it('app.sessionStore = a class: constructed with the app', async () => {
    let constructedWith;
    const data = new Map();
    app.sessionStore = class AppStore {
      constructor(egg) { constructedWith = egg; }
      async get(key) { return data.get(key); }
      async set(key, value) { data.set(key, value); }
      async destroy(key) { data.delete(key); }
    };
    // the real application (app here is egg-mock's proxy to it): compare what it forwards, not the objects
    assert.ok(constructedWith && constructedWith.config === app.config, 'constructed with the app');
    assert.strictEqual(app.sessionStore.constructor.name, 'AppStore');
    const first = await get(app, '/count').expect(200, { count: 1, isNew: true });
    const id = sessionCookie(first);
    assert.match(id, UUID);
    await get(app, '/count', jar(first)).expect(200, { count: 2, isNew: false });
    assert.strictEqual(data.get(id).count, 2);
  });

  it('app.sessionStore = null: back to cookie sessions; a store id is then no session', async () => {
    const store = mapStore();
    app.sessionStore = store;
    const stored = await get(app, '/count').expect(200, { count: 1, isNew: true });
    app.sessionStore = null;
    assert.ok(!app.sessionStore);
    await get(app, '/count', jar(stored)).expect(200, { count: 1, isNew: true });
    const first = await get(app, '/count').expect(200, { count: 1, isNew: true });
    assert.match(sessionCookie(first), /^v2\./);
    await get(app, '/count', jar(first)).expect(200, { count: 2, isNew: false });
    assert.strictEqual(store.data.size, 1, 'nothing more written to the detached store');
  });

  it('ctx.flash: messages survive one redirect and are read once', async () => {
    const first = await get(app, '/flash?message=saved').expect(200, { added: 1 });
    const second = await get(app, '/flash?message=again', jar(first)).expect(200, { added: 2 });
    const read = await get(app, '/flashed', jar(second)).expect(200);
    assert.deepStrictEqual(read.body, { info: [ 'saved', 'again' ] });
    await get(app, '/flashed', jar(read, jar(second))).expect(200, { info: [] });
  });
});
