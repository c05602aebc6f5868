import assert from 'node:assert/strict';
import { mm, type MockApplication } from '@eggjs/mock';
import { TestAgent } from '@eggjs/supertest';
import { baseDir as baseAppDir, bootApp, bootError, type AppConfig } from './helpers/boot.js';
import { setCookie } from './helpers/cookies.js';

interface LabelledStore { label: string; appName?: string; data: Map<string, Record<string, unknown>> }

describe('app.sessionStore set from app.js', () => {
  // cookie-app's app.js is the plain function form (stores.js 'function'); the boot classes are apps of their own
  const forms = [
    { baseDir: baseAppDir('cookie'), appName: 'cookie-app', label: 'function', form: 'plain function form' },
    { baseDir: 'boot-config-will-load', appName: 'boot-config-will-load', label: 'configWillLoad', form: 'boot class, configWillLoad (class store)' },
    { baseDir: 'boot-will-ready', appName: 'boot-will-ready', label: 'willReady', form: 'boot class, willReady (ESM app)' },
  ];

  for (const { baseDir, appName, label, form } of forms) {
    describe(form, () => {
      let app: MockApplication;
      before(async () => {
        if (label === 'function') {
          app = await bootApp('cookie', { keys: 'boot-function-key', fixture: { routes: 'boot-checks', store: 'function' } });
        } else {
          app = mm.app({ baseDir, cache: false });
          await app.ready();
        }
      });
      after(() => app.close());

      it('serves sessions from that store', async () => {
        const store = app.sessionStore as unknown as LabelledStore;
        assert.equal(store.label, label);
        // the class form is constructed with the app
        if (label === 'configWillLoad') assert.equal(store.appName, appName);
        const agent = new TestAgent(app.callback());
        const set = await agent.get('/set?name=egg').expect(200);
        const key = setCookie(set).value;
        assert.equal(set.body.externalKey, key);
        assert.equal(store.data.get(key)!.name, 'egg');
        const read = await agent.get('/get').expect(200);
        assert.deepEqual(read.body, { name: 'egg' });
      });
    });
  }

});

describe('boot checks', () => {
  const HTTPONLY_OFF: AppConfig = { keys: 'httponly-off-key', fixture: { routes: 'boot-checks' }, session: { httpOnly: false } };
  const bootWithSession = (session: Record<string, unknown>): Promise<Error> =>
    bootError('cookie', { keys: 'boot-checks-key', session });

  it("a bad config.session.maxAge ('soon') fails the boot naming the key", async () => {
    const err = await bootWithSession({ maxAge: 'soon' });
    assert.equal(err.message, '[egg-session-plus] invalid session config: ' +
      'config.session.maxAge: must be a positive integer (milliseconds) up to 400 days (34560000000, the browsers\' cap) or \'session\' (got "soon")');
  });

  it('store: 42 and rolling: "yes" fail the boot naming both keys', async () => {
    const err = await bootWithSession({ store: 42, rolling: 'yes' });
    assert.match(err.message, /config\.session\.store: must be 'cookie', 'memory', 'redis' or an object with get\/set\/destroy \(got 42\)/);
    assert.match(err.message, /config\.session\.rolling: Expected boolean, received string \(got "yes"\)/);
  });

  it('a config.session.store object without set/destroy fails the boot naming the key', async () => {
    const err = await bootError('cookie', { keys: 'bad-store-methods-key' }, { variant: 'store-without-methods' });
    assert.match(err.message, /config\.session\.store: must be 'cookie', 'memory', 'redis' or an object with get\/set\/destroy/);
  });

  it('config.keys without a usable key (empty, blank entries) fails the boot naming config.keys, in every env: no session cookie could be sealed', async () => {
    for (const keys of [ '', ' , ', ',' ]) {
      const err = await bootError('cookie', { keys, fixture: { routes: 'boot-checks' } });
      assert.match(err.message, /\[egg-session-plus\] config\.keys is empty or holds no usable key/, `keys ${JSON.stringify(keys)}`);
    }
  });

  it('also for a config that seals and signs nothing: egg refuses every cookie without config.keys', async () => {
    const err = await bootError('cookie', { keys: '', session: { encrypt: false, signed: false } });
    assert.match(err.message, /\[egg-session-plus\] config\.keys is empty or holds no usable key/);
  });

  it('warns when encrypt and signed are both false: such cookies are forgeable base64 JSON', async () => {
    const app = await bootApp('cookie', { ...HTTPONLY_OFF, session: { httpOnly: false, encrypt: false, signed: false } });
    try {
      app.expectLog('[egg-session-plus] config.session has encrypt: false and signed: false', 'coreLogger');
    } finally {
      await app.close();
    }
  });

  it('warns when httpOnly is false, and the cookie then lacks HttpOnly', async () => {
    const app = await bootApp('cookie', HTTPONLY_OFF);
    try {
      app.expectLog('[@eggjs/session]: please set `config.session.httpOnly` to true. It is very dangerous if session can read by client JavaScript.', 'coreLogger');
      const res = await new TestAgent(app.callback()).get('/write').expect(200);
      assert.equal(setCookie(res).attrs.httponly, undefined);
    } finally {
      await app.close();
    }
  });
});
