'use strict';
const assert = require('node:assert');
const mm = require('egg-mock');
const request = require('supertest');
const { get, jar } = require('./helpers/http');

/** cookie-app with `config` merged over its own (egg 3 reads EGG_APP_CONFIG too). */
async function boot(config) {
  process.env.EGG_APP_CONFIG = JSON.stringify(config);
  const app = mm.app({ baseDir: 'cookie-app', cache: false });
  try {
    await app.ready();
  } finally {
    delete process.env.EGG_APP_CONFIG;
  }
  return app;
}

describe('egg 3: split cookies, lifecycle events, CSRF rotation on login', () => {
  afterEach(mm.restore);

  it("onCookieTooLarge 'split': a 10 KB session over four cookies, read back as one; a changed chunk is a fresh session", async () => {
    const app = await boot({ session: { onCookieTooLarge: 'split' } });
    try {
      const filled = await get(app, '/fill?length=10000').expect(200);
      const cookies = jar(filled);
      assert.deepStrictEqual(cookies.split('; ').map(pair => pair.split('=')[0]).sort(), [ 'EGG_SESS', 'EGG_SESS.1', 'EGG_SESS.2', 'EGG_SESS.3' ]);
      assert.deepStrictEqual((await get(app, '/note', cookies).expect(200)).body, { length: 10000, isNew: false });
      const tampered = cookies.replace(/EGG_SESS\.2=(.)/, (all, first) => `EGG_SESS.2=${first === 'A' ? 'B' : 'A'}`);
      assert.deepStrictEqual((await get(app, '/note', tampered).expect(200)).body, { length: 0, isNew: true });
    } finally {
      await app.close();
    }
  });

  it('session:created and session:destroyed fire once each, with a reference that is not the cookie', async () => {
    const app = await boot({});
    try {
      const seen = [];
      for (const name of [ 'created', 'destroyed' ]) app.on(`session:${name}`, ({ reason, ref }) => seen.push([ name, reason, ref ]));
      const first = await get(app, '/count').expect(200);
      await get(app, '/count', jar(first)).expect(200);
      await get(app, '/logout', jar(first)).expect(200);
      await new Promise(resolve => setTimeout(resolve, 20));
      assert.deepStrictEqual(seen.map(([ name, reason ]) => [ name, reason ]), [ [ 'created', 'new' ], [ 'destroyed', 'logout' ] ]);
      assert.ok(seen[0][2] && seen[0][2] === seen[1][2] && !jar(first).includes(seen[0][2]));
    } finally {
      await app.close();
    }
  });

  it("regenerate() rotates egg 3's CSRF secret: a token from before the sign-in answers 403 after it", async () => {
    const app = await boot({ security: { csrf: { enable: true } } });
    try {
      const form = await get(app, '/csrf').expect(200);
      let cookies = jar(form);
      const signin = await request(app.callback()).post('/signin').set('Cookie', cookies).set('x-csrf-token', form.body.token).expect(200);
      cookies = jar(signin, cookies);
      const old = await request(app.callback()).post('/protected').set('Cookie', cookies).set('x-csrf-token', form.body.token);
      assert.strictEqual(old.status, 403);
      const page = await get(app, '/csrf', cookies).expect(200);
      cookies = jar(page, cookies);
      await request(app.callback()).post('/protected').set('Cookie', cookies).set('x-csrf-token', page.body.token).expect(200);
    } finally {
      await app.close();
    }
  });
});
