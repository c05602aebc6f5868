'use strict';
const assert = require('node:assert');
const mm = require('egg-mock');
const { get, sessionCookie, jar } = require('./helpers/http');

describe('egg 3, store \'memory\' (built-in)', () => {
  let app;
  before(() => {
    app = mm.app({ baseDir: 'memory-app' });
    return app.ready();
  });
  after(() => app.close());

  it('keeps sessions in the process, the cookie holds only the id', async () => {
    assert.strictEqual(app.sessionStore.storeName, 'memory');
    const first = await get(app, '/count').expect(200, { count: 1, isNew: true });
    assert.match(sessionCookie(first), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await get(app, '/count', jar(first)).expect(200, { count: 2, isNew: false });
  });
});
