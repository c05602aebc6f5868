import assert from 'node:assert/strict';
import configDefault from '../config/config.default.js';
import { SessionConfigSchema, validateSessionConfig } from '../lib/config.js';

describe('config/config.default.ts', () => {
  const session = configDefault.session as Record<string, unknown>;

  it('passes validateSessionConfig', () => {
    validateSessionConfig(session);
  });

  it('holds no encode/decode: the cookie codec is chosen at runtime, user functions are never wrapped', () => {
    assert.equal('encode' in session, false);
    assert.equal('decode' in session, false);
    for (const [ key, value ] of Object.entries(session)) {
      assert.notEqual(typeof value, 'function', `config.session.${key} is a function`);
    }
  });

  it('has the documented defaults, with encrypt kept (the upstream schema strips it)', () => {
    assert.equal(session.key, 'EGG_SESS');
    assert.equal(session.maxAge, 24 * 3600 * 1000);
    assert.equal(session.httpOnly, true);
    assert.equal(session.logValue, true);
    assert.equal(session.encrypt, true);
    assert.equal(session.rolling, false);
    assert.equal(session.renew, false);
    assert.equal(session.autoCommit, true);
  });

  it('lets unknown cookie and middleware options through validation untouched', () => {
    const extra = {
      sameSite: 'none', partitioned: true, removeUnpartitioned: true, priority: 'high', domain: 'a.test',
      path: '/x', ignore: '/public', enable: true,
    };
    const input = { ...session, ...extra };
    validateSessionConfig(input);
    const parsed = SessionConfigSchema.parse(input) as Record<string, unknown>;
    for (const [ key, value ] of Object.entries(extra)) assert.equal(parsed[key], value, key);
  });

  it('names every bad key with the value it got', () => {
    assert.throws(() => validateSessionConfig({ ...session, maxAge: -1, logValue: 'no', key: 3 }), (err: Error) => {
      assert.match(err.message, /config\.session\.maxAge: Number must be greater than 0 \(got -1\)/);
      assert.match(err.message, /config\.session\.logValue: Expected boolean, received string \(got "no"\)/);
      assert.match(err.message, /config\.session\.key: Expected string, received number \(got 3\)/);
      return true;
    });
  });
});
