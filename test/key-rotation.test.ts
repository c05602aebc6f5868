import assert from 'node:assert/strict';
import { mm, type MockApplication } from '@eggjs/mock';
import { request } from '@eggjs/supertest';
import { Sealer } from '../lib/cookie/sealer.js';
import { bootCookieApp } from './helpers/boot.js';
import { codecApps } from './helpers/codec-apps.js';
import { findCookie, sessionCookie } from './helpers/cookies.js';
import { nextEvent } from './helpers/session-events.js';

/**
 * The app before the rotation runs with keys 'cs-old-key'; the sealed app is the same app after it,
 * with keys 'cs-new-key,cs-old-key'.
 */
describe('key rotation', () => {
  let oldApp: MockApplication;
  let app: MockApplication;
  before(async () => {
    oldApp = await bootCookieApp(codecApps.beforeRotation());
    app = await bootCookieApp(codecApps.sealed());
  });
  after(() => Promise.all([ oldApp.close(), app.close() ]));
  afterEach(mm.restore);

  const onlyOld = new Sealer([ 'cs-old-key' ], 'EGG_SESS');
  const onlyNew = new Sealer([ 'cs-new-key' ], 'EGG_SESS');

  async function cookieFromOldApp(name: string): Promise<string> {
    const res = await request(oldApp.callback()).get('/set').query({ name }).expect(200);
    const value = sessionCookie(res).value;
    assert.equal(onlyOld.open(value)?.keyIndex, 0);
    assert.equal(onlyNew.open(value), undefined);
    return value;
  }

  it('accepts a cookie sealed with the older key and re-seals it with the newest on the same response', async () => {
    const old = await cookieFromOldApp('rotated');
    const res = await request(app.callback()).get('/get').set('Cookie', `EGG_SESS=${old}`).expect(200);
    assert.deepEqual(res.body.session, { name: 'rotated' });
    assert.equal(res.body.isNew, false);
    // /get changes nothing: the only reason to write is the old key
    const resealed = sessionCookie(res).value;
    assert.notEqual(resealed, old);
    assert.equal(onlyNew.open(resealed)?.keyIndex, 0);
    assert.equal(onlyOld.open(resealed), undefined);
    assert.equal(JSON.parse(onlyNew.open(resealed)!.text).name, 'rotated');
  });

  it('does not re-write a cookie already sealed with the newest key', async () => {
    const old = await cookieFromOldApp('once');
    const resealed = sessionCookie(await request(app.callback()).get('/get').set('Cookie', `EGG_SESS=${old}`)).value;
    const res = await request(app.callback()).get('/get').set('Cookie', `EGG_SESS=${resealed}`).expect(200);
    assert.deepEqual(res.body.session, { name: 'once' });
    assert.equal(findCookie(res), undefined);
  });

  it('keeps the expiry of the old cookie: _expire and _maxAge carry over', async () => {
    const old = await cookieFromOldApp('expiry');
    const before = JSON.parse(onlyOld.open(old)!.text);
    const resealed = sessionCookie(await request(app.callback()).get('/get').set('Cookie', `EGG_SESS=${old}`)).value;
    const after = JSON.parse(onlyNew.open(resealed)!.text);
    assert.equal(after._maxAge, before._maxAge);
    assert.ok(after._expire >= before._expire);
  });

  it('rejects a cookie sealed with a key the app does not list', async () => {
    const stranger = new Sealer([ 'cs-stranger-key' ], 'EGG_SESS').seal(JSON.stringify({ name: 'forged', _expire: Date.now() + 60000 }));
    const invalid = nextEvent(app, 'session:invalid');
    const res = await request(app.callback()).get('/get').set('Cookie', `EGG_SESS=${stranger}`).expect(200);
    assert.deepEqual(res.body.session, {});
    assert.equal(res.body.isNew, true);
    assert.equal((await invalid).value, stranger);
  });

  it('the old app cannot read cookies sealed with the new key (no downgrade by key order)', async () => {
    const fresh = sessionCookie(await request(app.callback()).get('/set').query({ name: 'new' }).expect(200)).value;
    const res = await request(oldApp.callback()).get('/get').set('Cookie', `EGG_SESS=${fresh}`).expect(200);
    assert.deepEqual(res.body.session, {});
  });
});
