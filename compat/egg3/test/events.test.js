'use strict';
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const mm = require('egg-mock');
const { get, sessionCookie, jar } = require('./helpers/http');

/** egg-session 3's own log formats, read from its app.js: `{ missed: '[session][missed] key(%s)', ... }`. */
function eggSession3Formats() {
  const source = fs.readFileSync(path.join(process.cwd(), 'node_modules/egg-session-3/app.js'), 'utf8');
  const formats = {};
  for (const [ , format, event ] of source.matchAll(/'(\[session\]\[(missed|expired|invalid)\][^']*)'/g)) formats[event] = format;
  assert.deepStrictEqual(Object.keys(formats).sort(), [ 'expired', 'invalid', 'missed' ], 'egg-session 3 formats found');
  return formats;
}

const escape = text => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Asserts one WARN line of ctx.coreLogger (egg 3's `[-/ip/-/Nms GET /url]` prefix) with exactly `message`. */
function expectCoreWarning(app, url, message) {
  app.expectLog(new RegExp(`WARN \\d+ \\[[^\\]]* GET ${escape(url)}\\] ${escape(message)}$`, 'm'), 'coreLogger');
}

const formats = eggSession3Formats();

// The same cases against egg 3's own egg-session 3 (the reference) and egg-session-plus, each with a
// Map store set at boot (app.js, app.mapStore): identical lines
for (const { baseDir, plugin } of [
  { baseDir: 'builtin-app', plugin: 'egg-session 3 (reference)' },
  { baseDir: 'store-app', plugin: 'egg-session-plus' },
]) {
  describe(`egg 3, session event log lines through ctx.coreLogger: ${plugin}`, () => {
    let app;
    let store;
    before(() => {
      app = mm.app({ baseDir });
      return app.ready();
    });
    beforeEach(() => {
      store = app.mapStore;
      app.mockLog('coreLogger');
    });
    afterEach(mm.restore);
    after(() => app.close());

    /** A stored session and the cookies that carry its id (egg-session 3 encrypts the id in its cookie). */
    async function storedSession() {
      store.clear();
      const res = await get(app, '/count').expect(200, { count: 1, isNew: true });
      assert.strictEqual(store.size, 1);
      const [ id ] = store.keys();
      assert.ok(sessionCookie(res), 'a session cookie');
      return { id, cookie: jar(res) };
    }

    it(`session:missed: ${formats.missed}, an id the store no longer has`, async () => {
      const { id, cookie } = await storedSession();
      store.delete(id);
      await get(app, '/get', cookie).expect(200, { session: {}, isNew: true });
      expectCoreWarning(app, '/get', util.format(formats.missed, id));
    });

    it(`session:expired: ${formats.expired}, a stored session past its _expire`, async () => {
      const { id, cookie } = await storedSession();
      const value = { ...store.get(id), _expire: Date.now() - 1000 };
      store.set(id, value);
      await get(app, '/get', cookie).expect(200, { session: {}, isNew: true });
      expectCoreWarning(app, '/get', util.format(formats.expired, id, value));
    });
  });
}

describe('egg 3, session:invalid through ctx.coreLogger: egg-session-plus', () => {
  let app;
  before(() => {
    app = mm.app({ baseDir: 'cookie-app' });
    return app.ready();
  });
  beforeEach(() => app.mockLog('coreLogger'));
  afterEach(mm.restore);
  after(() => app.close());

  it(`${formats.invalid}: a forged cookie is dropped, the request gets a fresh session`, async () => {
    await get(app, '/get', 'EGG_SESS=v2.forged-value').expect(200, { session: {}, isNew: true });
    // koa-session passes no key for cookie sessions, as with egg-session 3
    expectCoreWarning(app, '/get', util.format(formats.invalid, undefined, 'v2.forged-value'));
  });
});
