import assert from 'node:assert/strict';
import { mm, type MockApplication } from '@eggjs/mock';
import { request } from '@eggjs/supertest';
import { nextTicks } from './helpers/session-events.js';
import { setCookieLines } from './helpers/cookies.js';
import { bootApp, type AppConfig } from './helpers/boot.js';

type PlantableStore = { data: Map<string, unknown> };

/** Requests /get with `cookie`, waits for the event to be logged, returns the body. */
async function getWith(app: MockApplication, cookie: string) {
  const res = await request(app.callback()).get('/get').set('cookie', cookie).expect(200);
  await nextTicks();
  return res;
}

// app.js installs a store the tests can plant entries in; logValue defaults to true
const cases = [
  { config: { keys: 'fd-events-key', fixture: { routes: 'basic', store: 'map' } } satisfies AppConfig, logValue: true },
  { config: { keys: 'fd-events-quiet-key', fixture: { routes: 'basic', store: 'map' }, session: { logValue: false } } satisfies AppConfig, logValue: false },
];

for (const { config, logValue } of cases) {
  describe(`session events through coreLogger, logValue: ${logValue}`, () => {
    let app: MockApplication;
    let store: PlantableStore;
    before(async () => {
      app = await bootApp('cookie', config);
      store = app.sessionStore as unknown as PlantableStore;
    });
    beforeEach(() => app.mockLog('coreLogger'));
    afterEach(mm.restore);
    afterEach(() => { app.sessionStore = store as any; });
    after(() => app.close());

    it('session:missed: an id the store does not know', async () => {
      const res = await getWith(app, 'EGG_SESS=1b4e28ba-2fa1-4d3b-9a6e-3f2e1c0d9a01');
      assert.equal(res.body.isNew, true);
      app.expectLog(/WARN \d+ .*\[session\]\[missed\] key\(1b4e28ba-2fa1-4d3b-9a6e-3f2e1c0d9a01\)$/m, 'coreLogger');
    });

    it('session:expired: a stored session past its _expire', async () => {
      const value = { name: 'old', _expire: Date.now() - 1000, _maxAge: 60000 };
      store.data.set('2c5f39cb-3ab2-4e4c-8b7f-4a3f2d1e0b02', value);
      const res = await getWith(app, 'EGG_SESS=2c5f39cb-3ab2-4e4c-8b7f-4a3f2d1e0b02');
      assert.deepEqual(res.body, { session: {}, isNew: true });
      const shown = logValue ? JSON.stringify(value) : '""';
      app.expectLog(`[session][expired] key(2c5f39cb-3ab2-4e4c-8b7f-4a3f2d1e0b02) value(${shown})`, 'coreLogger');
      if (!logValue) app.notExpectLog('"name":"old"', 'coreLogger');
    });

    it('session:invalid: stored data that is not a session object', async () => {
      store.data.set('3d6a4adc-4bc3-4f5d-9c8a-5b4a3e2f1c03', 'not-a-session');
      const res = await getWith(app, 'EGG_SESS=3d6a4adc-4bc3-4f5d-9c8a-5b4a3e2f1c03');
      assert.equal(res.body.isNew, true);
      const shown = logValue ? '"not-a-session"' : '""';
      app.expectLog(`[session][invalid] key(3d6a4adc-4bc3-4f5d-9c8a-5b4a3e2f1c03) value(${shown})`, 'coreLogger');
    });

    it('session:invalid: a forged cookie in cookie mode, dropped without a new cookie', async () => {
      app.sessionStore = null as any;
      const res = await getWith(app, 'EGG_SESS=v2.forged-value');
      assert.deepEqual(res.body, { session: {}, isNew: true });
      assert.deepEqual(setCookieLines(res), []);
      const shown = logValue ? '"v2.forged-value"' : '""';
      // koa-session passes no key for cookie sessions, as with @eggjs/session
      app.expectLog(`[session][invalid] key(undefined) value(${shown})`, 'coreLogger');
    });
  });
}
