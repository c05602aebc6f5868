import assert from 'node:assert/strict';
import { mm, type MockApplication } from '@eggjs/mock';
import type { ResolvedSessionConfig } from '../index.js';
import { closeApp } from './helpers/sc-device.js';

describe('session control: boot and switches', () => {
  it('control.enable without @eggjs/redis fails boot saying how to enable it', async () => {
    const app = mm.app({ baseDir: 'sc-noredis-app', cache: false });
    try {
      await assert.rejects(app.ready(), (error: Error) => {
        assert.match(error.message, /session control .* needs Redis/);
        assert.match(error.message, /redis: \{ enable: true, package: '@eggjs\/redis' \}/);
        return true;
      });
    } finally {
      await app.close().catch(() => undefined);
    }
  });

  describe('off (cookie store, default)', () => {
    let app: MockApplication;
    before(async () => {
      app = mm.app({ baseDir: 'sc-flash-cookie-app' });
      await app.ready();
    });
    after(() => closeApp(app));

    it('app.sessions explains how to turn it on', () => {
      assert.throws(() => Reflect.get(app, 'sessions'), /app\.sessions needs session control: use `config\.session\.store = 'redis'`/);
    });

    it('is off by default for cookie sessions: config.session.control.enable is unset', () => {
      const config = app.config.session as unknown as ResolvedSessionConfig;
      assert.equal(config.control.enable, undefined);
      assert.equal(config.control.touchInterval, 60_000);
      assert.equal(config.userKey, 'userId');
    });
  });
});
