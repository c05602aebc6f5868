import assert from 'node:assert/strict';
import type { MockApplication } from '@eggjs/mock';
import { request } from '@eggjs/supertest';
import { bootApp, bootError as bootErrorOf } from './helpers/boot.js';
import { securityCookieApp } from './helpers/security.js';

/** Config that would boot but cannot work fails the boot, naming the key (securityCookieApp). */
const MAX_AGE_LIMIT = 400 * 24 * 3600 * 1000;

/** Boots the fixture with `session` merged into config.session; resolves with the app or the boot error. */
async function boot(session: Record<string, unknown>): Promise<{ app?: MockApplication; error?: Error }> {
  const { config, options } = securityCookieApp(session);
  try {
    return { app: await bootApp('cookie', config, options) };
  } catch (error) {
    return { error: error as Error };
  }
}

async function bootError(session: Record<string, unknown>): Promise<Error> {
  const { app, error } = await boot(session);
  if (app) {
    await app.close();
    assert.fail(`booted with config.session ${JSON.stringify(session)}`);
  }
  return error!;
}

describe('security: config that cannot work fails the boot', () => {
  const refused: [ string, Record<string, unknown>, RegExp ][] = [
    [ "key: ''", { key: '' }, /config\.session\.key/ ],
    [ "key: 'a;b' (not a cookie-name token)", { key: 'a;b' }, /config\.session\.key/ ],
    [ "key: 'a b' (not a cookie-name token)", { key: 'a b' }, /config\.session\.key/ ],
    [ 'maxAge: 1e16 (over 400 days)', { maxAge: 1e16 }, /config\.session\.maxAge/ ],
    [ 'maxAge: 400 days + 1 ms', { maxAge: MAX_AGE_LIMIT + 1 }, /config\.session\.maxAge/ ],
    [ 'storeTimeout: 1e12 (over 60000)', { storeTimeout: 1e12 }, /config\.session\.storeTimeout/ ],
    [ 'storeTimeout: 60001', { storeTimeout: 60001 }, /config\.session\.storeTimeout/ ],
    [ "cookieSizeLimit: 100000 (browsers keep 4096 bytes)", { cookieSizeLimit: 100000 }, /config\.session\.cookieSizeLimit: must be at most 4096: browsers drop larger cookies \(got 100000\)/ ],
    // egg's cookies would refuse it on every write: a 500 per request
    [ "sameSite: 'bogus'", { sameSite: 'bogus' }, /config\.session\.sameSite: must be 'lax', 'strict' or 'none' \(got "bogus"\)/ ],
    [ 'sameSite: true (koa-session takes a string)', { sameSite: true }, /config\.session\.sameSite: must be 'lax', 'strict' or 'none' \(got true\)/ ],
    // a typo inside the plugin's own objects would leave the default silently in place
    [ "redis: { prefx } (a typo of prefix)", { redis: { prefx: 'a:' } }, /config\.session\.redis: Unrecognized key\(s\) in object: 'prefx'/ ],
    [ "memory: { maxEntires } (a typo)", { memory: { maxEntires: 5 } }, /config\.session\.memory: Unrecognized key\(s\) in object: 'maxEntires'/ ],
    [ "control: { touchIntreval } (a typo)", { control: { touchIntreval: 5 } }, /config\.session\.control: Unrecognized key\(s\) in object: 'touchIntreval'/ ],
    // a .sig would cover the first chunk only: the others could be rewritten at will
    [ "onCookieTooLarge: 'split' with encrypt: false", { onCookieTooLarge: 'split', encrypt: false }, /config\.session\.onCookieTooLarge 'split' needs sealed cookies/ ],
  ];
  for (const [ name, session, message ] of refused) {
    it(`${name} fails the boot naming the key`, async () => {
      const error = await bootError(session);
      assert.match(error.message, message);
    });
  }
});

describe('security: config at the limits still boots and works', () => {
  const accepted: [ string, Record<string, unknown>, string ][] = [
    [ 'maxAge: 400 days', { maxAge: MAX_AGE_LIMIT }, 'EGG_SESS' ],
    [ 'storeTimeout: 60000', { storeTimeout: 60000 }, 'EGG_SESS' ],
    [ "key: 'my.app-sess_1'", { key: 'my.app-sess_1' }, 'my.app-sess_1' ],
    [ 'cookieSizeLimit: 4096', { cookieSizeLimit: 4096 }, 'EGG_SESS' ],
    [ "sameSite: 'Lax'", { sameSite: 'Lax' }, 'EGG_SESS' ],
  ];
  for (const [ name, session, cookieName ] of accepted) {
    it(`${name} boots and serves a session`, async () => {
      const { app, error } = await boot(session);
      assert.ok(app, `boot failed: ${error?.message}`);
      try {
        const set = await request(app.callback()).get('/set?name=egg').expect(200);
        const lines = [ set.headers['set-cookie'] ?? [] ].flat() as string[];
        const line = lines.find(l => l.startsWith(`${cookieName}=`));
        assert.ok(line, `no ${cookieName} cookie in ${JSON.stringify(lines)}`);
        const back = await request(app.callback()).get('/get').set('Cookie', line.split(';')[0]).expect(200);
        assert.deepEqual(back.body.session, { name: 'egg' });
        if (session.maxAge) {
          const maxAge = /max-age=(\d+)/i.exec(line)?.[1];
          const expires = /expires=([^;]+)/i.exec(line)?.[1];
          const lifetime = maxAge ? Number(maxAge) * 1000 : Date.parse(expires!) - Date.now();
          assert.ok(lifetime > MAX_AGE_LIMIT - 60_000, `cookie lifetime ${lifetime} ms: ${line}`);
        }
      } finally {
        await app.close();
      }
    });
  }
});

describe("security: a custom genid's ids are trusted only signed, in the plugin's own cookie", () => {
  it('a custom genid with unsigned ids (encrypt: false, signed: false) fails the boot naming the cause', async () => {
    const { config } = securityCookieApp({ store: 'memory', encrypt: false, signed: false });
    const error = await bootErrorOf('cookie', config, { variant: 'custom-genid' });
    assert.match(error.message, /config\.session\.signed: false with a custom config\.session\.genid/);
  });

  it('the same genid with signed ids boots, and an id without its signature never reaches the store', async () => {
    const { config } = securityCookieApp({ store: 'memory', encrypt: false });
    const app = await bootApp('cookie', config, { variant: 'custom-genid' });
    try {
      const set = await request(app.callback()).get('/set?name=egg').expect(200);
      const lines = [ set.headers['set-cookie'] ?? [] ].flat() as string[];
      const pairs = lines.map(line => line.split(';')[0]);
      const id = pairs.find(pair => pair.startsWith('EGG_SESS='))!;
      assert.match(id, /^EGG_SESS=gid\./, "the app's genid");
      assert.ok(pairs.some(pair => pair.startsWith('EGG_SESS.sig=')), 'signed');
      assert.deepEqual((await request(app.callback()).get('/get').set('Cookie', pairs.join('; ')).expect(200)).body.session, { name: 'egg' });
      assert.deepEqual((await request(app.callback()).get('/get').set('Cookie', id).expect(200)).body.session, {}, 'unsigned: a fresh session');
    } finally {
      await app.close();
    }
  });
});
