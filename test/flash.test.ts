import assert from 'node:assert/strict';
import type { MockApplication } from '@eggjs/mock';
import type { Context } from 'egg';
import type { FlashMessage } from '../index.js';
import { controlApps } from './helpers/session-control-apps.js';
import { bootApp, closeApp } from './helpers/boot.js';
import { Device } from './helpers/device.js';
import { serve, type Served } from './helpers/http.js';

// compile-time: ctx.flash is typed (checked by `npm run typecheck`)
export function typedFlash(ctx: Context): void {
  const count: number = ctx.flash('info', 'saved');
  const many: number = ctx.flash('info', [ 'a', 'b' ]);
  const messages: string[] = ctx.flash('info');
  const errors: { field: string }[] = ctx.flash<{ field: string }>('form');
  const all: Record<string, FlashMessage[]> = ctx.flash();
  void [ count, many, messages, errors, all ];
}

for (const { name, config } of [
  { name: 'cookie sessions', config: controlApps.flashCookie },
  { name: 'store sessions (memory)', config: controlApps.flashMemory },
]) {
  describe(`ctx.flash, ${name}`, () => {
    let app: MockApplication;
    let http: Served;
    before(async () => {
      app = await bootApp('cookie', config());
      http = await serve(app.callback());
    });
    after(async () => {
      await http?.close();
      await closeApp(app);
    });

    it('keeps a message for the next request and hands it out once', async () => {
      const device = new Device(http.url);
      assert.deepEqual((await device.get('/flash/add?type=info&msg=saved')).body, { count: 1 });
      assert.deepEqual((await device.get('/flash/add?type=info&msg=again')).body, { count: 2 });
      assert.deepEqual((await device.get('/get')).body.session, { $flash: { info: [ 'saved', 'again' ] } },
        'stored under the reserved key $flash');
      assert.deepEqual((await device.get('/flash/read?type=info')).body, { messages: [ 'saved', 'again' ] });
      assert.deepEqual((await device.get('/flash/read?type=info')).body, { messages: [] }, 'read once');
      assert.deepEqual((await device.get('/get')).body.session, {}, 'nothing left in the session');
    });

    it('keeps types apart; ctx.flash() takes them all; messages may be objects', async () => {
      const device = new Device(http.url);
      await device.get('/set?name=egg');
      await device.get('/flash/add?type=info&msg=hello');
      await device.get('/flash/add?type=error&msg=oops');
      await device.get('/flash/add-object');
      assert.deepEqual((await device.get('/flash/read?type=error')).body, { messages: [ 'oops' ] });
      assert.deepEqual((await device.get('/flash/all')).body, {
        all: { info: [ 'hello' ], form: [ { field: 'email', error: 'taken' } ] },
      });
      assert.deepEqual((await device.get('/flash/all')).body, { all: {} });
      assert.deepEqual((await device.get('/get')).body.session, { name: 'egg' }, 'the rest of the session is untouched');
    });

    it('reading an empty flash does not create a session cookie', async () => {
      const visitor = new Device(http.url);
      for (const path of [ '/flash/read?type=info', '/flash/all' ]) {
        const res = await visitor.get(path);
        assert.equal(res.status, 200);
        assert.equal(res.sessionCookie, undefined, `${path} sets no cookie`);
        assert.deepEqual(res.setCookies, []);
      }
    });

    it('reading an empty flash does not rewrite an existing session', async () => {
      const device = new Device(http.url);
      await device.get('/set?name=egg');
      const res = await device.get('/flash/read?type=info');
      assert.deepEqual(res.body, { messages: [] });
      assert.equal(res.sessionCookie, undefined, 'unchanged session: no Set-Cookie');
    });

    it('a flash after ctx.session = null starts a fresh session holding only the message', async () => {
      const device = new Device(http.url);
      await device.get('/set?name=egg');
      await device.get('/flash/logout');
      assert.deepEqual((await device.get('/get')).body.session, { $flash: { info: [ 'signed out' ] } });
      assert.deepEqual((await device.get('/flash/read?type=info')).body, { messages: [ 'signed out' ] });
    });
  });
}
