'use strict';
const assert = require('node:assert');
const path = require('node:path');
const mm = require('egg-mock');
const { get, sessionCookie, jar } = require('./helpers/http');

// package.json: "overrides": { "egg-session": "file:.pack/egg-session-plus.tgz" }; the app's plugin.js
// says nothing about sessions: egg 3's built-in `session` plugin (package egg-session) is this package
describe('egg 3, npm overrides of egg-session (no plugin config)', () => {
  let app;
  before(() => {
    app = mm.app({ baseDir: 'overrides-app' });
    return app.ready();
  });
  after(() => app.close());

  it('egg 3\'s built-in session plugin resolves to egg-session-plus', () => {
    const plugin = app.plugins.session;
    assert.strictEqual(plugin.package, 'egg-session');
    assert.strictEqual(require(path.join(plugin.path, 'package.json')).name, 'egg-session-plus');
    assert.ok(plugin.path.includes(`${path.sep}node_modules${path.sep}egg-session`), plugin.path);
  });

  it('serves sealed cookie sessions (count 1 → 2)', async () => {
    const first = await get(app, '/count').expect(200, { count: 1 });
    assert.match(sessionCookie(first), /^v2\./);
    await get(app, '/count', jar(first)).expect(200, { count: 2 });
  });
});
