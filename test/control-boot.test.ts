import assert from 'node:assert/strict';
import type { MockApplication } from '@eggjs/mock';
import type { ResolvedSessionConfig } from '../index.js';
import { controlApps } from './helpers/session-control-apps.js';
import { bootApp, bootError, closeApp } from './helpers/boot.js';

describe('session control: boot and switches', () => {
  it('control.enable without @eggjs/redis fails boot saying how to enable it', async () => {
    const error = await bootError('cookie', controlApps.noRedis());
    assert.match(error.message, /session control .* needs Redis/);
    assert.match(error.message, /redis: \{ enable: true, package: '@eggjs\/redis' \}/);
  });

  describe('off (cookie store, default)', () => {
    let app: MockApplication;
    before(async () => {
      app = await bootApp('cookie', controlApps.flashCookie());
    });
    after(() => closeApp(app));

    it('app.sessions explains how to turn it on, naming the call (only load() works without it)', async () => {
      const sessions = Reflect.get(app, 'sessions');
      await assert.rejects(sessions.list('u1'), /app\.sessions\.list\(\) needs session control: use `config\.session\.store = 'redis'`/);
      await assert.rejects(sessions.destroyAll('u1'), /app\.sessions\.destroyAll\(\) needs session control/);
      assert.equal(await sessions.load('EGG_SESS=nothing'), undefined);
    });

    it('is off by default for cookie sessions: config.session.control.enable is unset', () => {
      const config = app.config.session as unknown as ResolvedSessionConfig;
      assert.equal(config.control.enable, undefined);
      assert.equal(config.control.touchInterval, 60_000);
      assert.equal(config.userKey, 'userId');
    });
  });
});
