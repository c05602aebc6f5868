import assert from 'node:assert/strict';
import { mm, type MockApplication } from '@eggjs/mock';
import { request } from '@eggjs/supertest';
import { Sealer } from '../lib/cookie/sealer.js';
import { bootCookieApp } from './helpers/boot.js';
import { codecApps } from './helpers/codec-apps.js';
import { findCookie, isDeletion, sessionCookie, type SetCookie } from './helpers/cookies.js';
import { nextEvent, noEvent } from './helpers/session-events.js';
import { signedLegacyCookie } from './helpers/security.js';

const newKeySealer = new Sealer([ 'cs-new-key' ], 'EGG_SESS');
const DAY = 24 * 3600 * 1000;

function cookieHeader(...cookies: SetCookie[]): string {
  return cookies.map(cookie => `${cookie.name}=${cookie.value}`).join('; ');
}

/**
 * Legacy cookies are produced for real: codecApps.upstream and codecApps.upstreamEncrypt boot egg's
 * built-in @eggjs/session (plugin: false keeps this package out), with the sealed app's keys.
 */
describe('upgrading @eggjs/session cookies', () => {
  let upstream: MockApplication;
  let upstreamEncrypt: MockApplication;
  let app: MockApplication;
  let noUpgrade: MockApplication;
  /** the sealed app with `legacyEncryptedCookies: true` */
  let optIn: MockApplication;
  before(async () => {
    upstream = await bootCookieApp(codecApps.upstream());
    upstreamEncrypt = await bootCookieApp(codecApps.upstreamEncrypt());
    app = await bootCookieApp(codecApps.sealed());
    noUpgrade = await bootCookieApp(codecApps.noUpgrade());
    const sealed = codecApps.sealed();
    optIn = await bootCookieApp({ config: { ...sealed.config, session: { legacyEncryptedCookies: true } } });
  });
  after(() => Promise.all([ upstream.close(), upstreamEncrypt.close(), app.close(), noUpgrade.close(), optIn.close() ]));
  afterEach(mm.restore);

  /** EGG_SESS and EGG_SESS.sig as @eggjs/session writes them. */
  async function legacySigned(query: Record<string, string>, path = '/set'): Promise<{ value: SetCookie; sig: SetCookie }> {
    const res = await request(upstream.callback()).get(path).query(query).expect(200);
    const value = sessionCookie(res);
    const sig = sessionCookie(res, 'EGG_SESS.sig');
    // upstream's format: signed base64 JSON that anyone can read
    assert.equal(JSON.parse(Buffer.from(value.value, 'base64').toString()).name, query.name);
    return { value, sig };
  }

  describe('signed base64 cookies (@eggjs/session 4 default)', () => {
    it('are accepted once and re-written sealed on the same response, dropping the .sig cookie', async () => {
      const legacy = await legacySigned({ name: 'legacy-user', role: 'editor' });
      const res = await request(app.callback()).get('/get').set('Cookie', cookieHeader(legacy.value, legacy.sig)).expect(200);
      assert.deepEqual(res.body.session, { name: 'legacy-user', role: 'editor' });
      assert.equal(res.body.isNew, false);
      const sealed = sessionCookie(res);
      assert.match(sealed.value, /^v2\./);
      const data = JSON.parse(newKeySealer.open(sealed.value)!.text);
      assert.equal(data.name, 'legacy-user');
      assert.ok(isDeletion(sessionCookie(res, 'EGG_SESS.sig')), 'the .sig cookie is deleted');
      assert.equal(sessionCookie(res, 'EGG_SESS.sig').attrs.path, '/');

      // from then on the sealed cookie alone carries the session, and nothing is re-written
      const next = await request(app.callback()).get('/get').set('Cookie', `EGG_SESS=${sealed.value}`).expect(200);
      assert.deepEqual(next.body.session, { name: 'legacy-user', role: 'editor' });
      assert.equal(findCookie(next), undefined);
    });

    it('signed with an older app key (rotated during the migration) are upgraded too', async () => {
      const oldUpstream = await bootCookieApp(codecApps.upstreamBeforeRotation());
      try {
        const res = await request(oldUpstream.callback()).get('/set').query({ name: 'old-key-user' }).expect(200);
        const upgraded = await request(app.callback()).get('/get')
          .set('Cookie', cookieHeader(sessionCookie(res), sessionCookie(res, 'EGG_SESS.sig'))).expect(200);
        assert.deepEqual(upgraded.body.session, { name: 'old-key-user' });
        assert.equal(JSON.parse(newKeySealer.open(sessionCookie(upgraded).value)!.text).name, 'old-key-user');
        assert.ok(isDeletion(sessionCookie(upgraded, 'EGG_SESS.sig')));
      } finally {
        await oldUpstream.close();
      }
    });

    it('keep the remaining lifetime of the legacy cookie (its _maxAge)', async () => {
      const legacy = await legacySigned({ name: 'lifetime' });
      const legacyData = JSON.parse(Buffer.from(legacy.value.value, 'base64').toString());
      const res = await request(app.callback()).get('/get').set('Cookie', cookieHeader(legacy.value, legacy.sig)).expect(200);
      const data = JSON.parse(newKeySealer.open(sessionCookie(res).value)!.text);
      assert.equal(data._maxAge, legacyData._maxAge);
    });

    it('are re-sealed with at most 400 days of lifetime, whatever lifetime the old plugin was configured with', async () => {
      const legacy = signedLegacyCookie([ 'cs-new-key' ], { name: 'long', _expire: Date.now() + 1000 * DAY, _maxAge: 1000 * DAY });
      const res = await request(app.callback()).get('/get').set('Cookie', legacy).expect(200);
      assert.deepEqual(res.body.session, { name: 'long' });
      assert.equal(JSON.parse(newKeySealer.open(sessionCookie(res).value)!.text)._maxAge, 400 * DAY);
      assert.equal(sessionCookie(res).attrs['max-age'], String(400 * DAY / 1000));
    });

    it('with a lifetime that is no positive number are re-sealed with the configured one (no error)', async () => {
      for (const maxAge of [ 0, -5, 'soon', null ]) {
        const legacy = signedLegacyCookie([ 'cs-new-key' ], { name: 'odd', _expire: Date.now() + DAY, _maxAge: maxAge });
        const res = await request(app.callback()).get('/get').set('Cookie', legacy);
        assert.equal(res.status, 200, `_maxAge ${JSON.stringify(maxAge)}: ${res.text.slice(0, 200)}`);
        assert.deepEqual(res.body.session, { name: 'odd' });
        assert.equal(JSON.parse(newKeySealer.open(sessionCookie(res).value)!.text)._maxAge, DAY, `_maxAge ${JSON.stringify(maxAge)}`);
        assert.equal(sessionCookie(res).attrs['max-age'], String(DAY / 1000));
      }
    });

    it('created longer ago than absoluteMaxAge are expired, as sealed cookies are', async () => {
      const absolute = await bootCookieApp({ config: { ...codecApps.sealed().config, session: { absoluteMaxAge: 4000 } } });
      try {
        const fields = { name: 'old', _expire: Date.now() + DAY, _maxAge: DAY };
        const stale = signedLegacyCookie([ 'cs-new-key' ], { ...fields, _created: Date.now() - 5000 });
        const expired = nextEvent(absolute, 'session:expired');
        const res = await request(absolute.callback()).get('/get').set('Cookie', stale).expect(200);
        assert.deepEqual(res.body.session, {});
        await expired;
        const recent = signedLegacyCookie([ 'cs-new-key' ], { ...fields, _created: Date.now() - 1000 });
        assert.deepEqual((await request(absolute.callback()).get('/get').set('Cookie', recent).expect(200)).body.session, { name: 'old' });
      } finally {
        await absolute.close();
      }
    });

    it('without their .sig cookie (unsigned) are rejected like any bad cookie', async () => {
      const legacy = await legacySigned({ name: 'unsigned' });
      const invalid = nextEvent(app, 'session:invalid');
      const res = await request(app.callback()).get('/get').set('Cookie', cookieHeader(legacy.value)).expect(200);
      assert.deepEqual(res.body.session, {});
      assert.equal(res.body.isNew, true);
      assert.equal((await invalid).value, legacy.value.value);
    });

    it('with a forged value (admin added, old .sig kept) are rejected', async () => {
      const legacy = await legacySigned({ name: 'mallory' });
      const forged = { ...JSON.parse(Buffer.from(legacy.value.value, 'base64').toString()), admin: true };
      const forgedValue = Buffer.from(JSON.stringify(forged)).toString('base64');
      const invalid = nextEvent(app, 'session:invalid');
      const res = await request(app.callback()).get('/get')
        .set('Cookie', `EGG_SESS=${forgedValue}; EGG_SESS.sig=${legacy.sig.value}`).expect(200);
      assert.deepEqual(res.body.session, {});
      await invalid;
    });

    it('with a bad signature are rejected', async () => {
      const legacy = await legacySigned({ name: 'badsig' });
      const badSig = legacy.sig.value.slice(0, -2) + (legacy.sig.value.endsWith('AA') ? 'BB' : 'AA');
      const invalid = nextEvent(app, 'session:invalid');
      const res = await request(app.callback()).get('/get')
        .set('Cookie', `EGG_SESS=${legacy.value.value}; EGG_SESS.sig=${badSig}`).expect(200);
      assert.deepEqual(res.body.session, {});
      await invalid;
    });

    it('that expired are rejected (session:expired, as @eggjs/session reports them)', async () => {
      const legacy = await legacySigned({ name: 'expired' }, '/short');
      await new Promise(resolve => setTimeout(resolve, 80));
      const invalid = nextEvent(app, 'session:expired');
      const res = await request(app.callback()).get('/get').set('Cookie', cookieHeader(legacy.value, legacy.sig)).expect(200);
      assert.deepEqual(res.body.session, {});
      await invalid;
    });

    it('are not read at all with upgradeLegacyCookies: false', async () => {
      const legacy = await legacySigned({ name: 'no-upgrade' });
      const invalid = nextEvent(noUpgrade, 'session:invalid');
      const res = await request(noUpgrade.callback()).get('/get').set('Cookie', cookieHeader(legacy.value, legacy.sig)).expect(200);
      assert.deepEqual(res.body.session, {});
      assert.equal(res.body.isNew, true);
      assert.equal((await invalid).value, legacy.value.value);
      assert.equal(findCookie(res), undefined);
    });
  });

  describe('egg-encrypted cookies (@eggjs/session with encrypt: true, egg 3 default)', () => {
    async function legacyEncrypted(name: string): Promise<SetCookie> {
      const res = await request(upstreamEncrypt.callback()).get('/set').query({ name }).expect(200);
      assert.equal(findCookie(res, 'EGG_SESS.sig'), undefined);
      const cookie = sessionCookie(res);
      // AES-256-CBC: no readable JSON in it
      assert.ok(!Buffer.from(cookie.value, 'base64').toString().includes(name));
      return cookie;
    }

    it('are refused by default: egg encrypts every cookie name alike, so any encrypted cookie could be replayed', async () => {
      const legacy = await legacyEncrypted('encrypted-user');
      const invalid = nextEvent(app, 'session:invalid');
      const res = await request(app.callback()).get('/get').set('Cookie', cookieHeader(legacy)).expect(200);
      assert.deepEqual(res.body.session, {});
      assert.equal(res.body.isNew, true);
      await invalid;
    });

    it('with legacyEncryptedCookies: true are accepted once and re-written sealed on the same response', async () => {
      const legacy = await legacyEncrypted('encrypted-user');
      const res = await request(optIn.callback()).get('/get').set('Cookie', cookieHeader(legacy)).expect(200);
      assert.deepEqual(res.body.session, { name: 'encrypted-user' });
      assert.equal(JSON.parse(newKeySealer.open(sessionCookie(res).value)!.text).name, 'encrypted-user');
      await noEvent(optIn, 'session:invalid');
    });

    it('with flipped ciphertext bits are rejected (CBC has no MAC: strict base64 catches the garbled block)', async () => {
      const legacy = await legacyEncrypted('flip-me');
      const bytes = Buffer.from(legacy.value, 'base64url');
      // every block but the last: each flip garbles one block and edits the next
      for (let at = 0; at < bytes.length - 16; at += 5) {
        const flipped = Buffer.from(bytes);
        flipped[at] ^= 0x04;
        const res = await request(optIn.callback()).get('/get')
          .set('Cookie', `EGG_SESS=${flipped.toString('base64url')}`).expect(200);
        assert.deepEqual(res.body.session, {}, `flip at byte ${at} was accepted`);
      }
    });

    it('are not read with upgradeLegacyCookies: false', async () => {
      const legacy = await legacyEncrypted('no-upgrade');
      const res = await request(noUpgrade.callback()).get('/get').set('Cookie', cookieHeader(legacy)).expect(200);
      assert.deepEqual(res.body.session, {});
    });
  });
});
