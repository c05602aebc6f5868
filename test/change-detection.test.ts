import assert from 'node:assert/strict';
import type { MockApplication } from '@eggjs/mock';
import { request } from '@eggjs/supertest';
import { appTextOf, sessionText } from '../lib/cookie/session-text.js';
import { Sealer } from '../lib/cookie/sealer.js';
import { bootApp } from './helpers/boot.js';

const KEYS = 'change-detection-key';

/** What Session#toJSON gives for `data`: its keys without a leading `_`, in order. */
function appPart(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([ key ]) => key[0] !== '_'));
}

const NASTY = [ '', '"', '\\', '\\"', '","_x":1,"', '}', '{"_expire":1}', ',"_maxAge":', 'ü€😀', '\u2028', '\ud800', '\n\t' ];

function randomValue(depth: number, next: () => number): unknown {
  const pick = Math.floor(next() * 7);
  if (depth > 2 || pick < 2) return NASTY[Math.floor(next() * NASTY.length)];
  if (pick === 2) return Math.floor(next() * 1e6) / 7;
  if (pick === 3) return next() < 0.5;
  if (pick === 4) return null;
  if (pick === 5) return [ randomValue(depth + 1, next), randomValue(depth + 1, next) ];
  return { _nested: randomValue(depth + 1, next), [NASTY[Math.floor(next() * NASTY.length)]]: randomValue(depth + 1, next) };
}

describe('change detection: one stringify per commit, none per read', () => {
  describe('the sealed session text (lib/cookie/session-text.ts)', () => {
    it('puts the hidden keys first; the rest is exactly JSON.stringify of the app data, whatever it holds', () => {
      let seed = 7;
      const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
      for (let round = 0; round < 500; round++) {
        const data: Record<string, unknown> = {};
        const keys = Math.floor(next() * 5);
        for (let k = 0; k < keys; k++) data[next() < 0.2 ? String(k * 10) : `${NASTY[Math.floor(next() * NASTY.length)]}k${k}`] = randomValue(0, next);
        const hidden = { _expire: 1_800_000_000_000 + round, _maxAge: 86_400_000, _created: 1_700_000_000_000, _ref: NASTY[round % NASTY.length] };
        const whole = { ...data, ...hidden };
        const text = sessionText(hidden, JSON.stringify(data));
        assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(whole)), 'one JSON object with every key');
        assert.equal(appTextOf(text), JSON.stringify(appPart(JSON.parse(text))), `round ${round}: ${text}`);
        // the caller's app text, when it has one, is used as it is
        assert.equal(sessionText(hidden, JSON.stringify(appPart(whole))), text);
      }
    });

    it('gives no app text for a text written data-first (an older cookie): the session is stringified instead', () => {
      assert.equal(appTextOf(JSON.stringify({ user: 'a', _expire: 1 })), undefined);
      assert.equal(appTextOf('{}'), undefined);
      assert.equal(appTextOf(sessionText({ _expire: 1, _maxAge: 2 }, '{}')), '{}');
    });
  });

  describe('over HTTP', () => {
    let app: MockApplication;
    before(async () => {
      app = await bootApp('cookie', { keys: KEYS, fixture: { routes: 'json' } });
    });
    after(() => app?.close());

    const sessionCookie = (res: { headers: Record<string, unknown> }) => ([ res.headers['set-cookie'] ?? [] ].flat() as string[])
      .map(line => line.split(';')[0]).find(pair => pair.startsWith('EGG_SESS='));
    const opened = (pair: string) => new Sealer([ KEYS ], 'EGG_SESS').open(pair.slice('EGG_SESS='.length))!.text;

    it('a read, or a write of the same values, sends no cookie; a changed value does, sealed hidden-keys-first', async () => {
      const tricky = '","_expire":1,"x":"}';
      const login = await request(app.callback()).get('/set').query({ user: 'u1', note: tricky }).expect(200);
      const cookie = sessionCookie(login)!;
      assert.match(opened(cookie), /^\{"_expire":\d+,"_maxAge":86400000,"_created":\d+,"_ref":"[^"]+","user":"u1","note":/);

      const read = await request(app.callback()).get('/get').set('cookie', cookie).expect(200);
      assert.deepEqual(read.body, { user: 'u1', note: tricky });
      assert.equal(sessionCookie(read), undefined, 'a read writes nothing');
      const same = await request(app.callback()).get('/set').query({ note: tricky }).set('cookie', cookie).expect(200);
      assert.equal(sessionCookie(same), undefined, 'the same values write nothing');
      const changed = await request(app.callback()).get('/set').query({ note: `${tricky}!` }).set('cookie', cookie).expect(200);
      const rewritten = sessionCookie(changed);
      assert.ok(rewritten, 'a changed value is written');
      assert.deepEqual((await request(app.callback()).get('/get').set('cookie', rewritten).expect(200)).body, { user: 'u1', note: `${tricky}!` });
    });

    it('a forced save after a commit that found nothing changed seals the session as it is now', async () => {
      const login = await request(app.callback()).get('/set').query({ user: 'u4', step: 'one' }).expect(200);
      const changed = await request(app.callback()).get('/commit-then-change').query({ step: 'two' }).set('cookie', sessionCookie(login)!).expect(200);
      const cookie = sessionCookie(changed)!;
      assert.match(opened(cookie), /"_maxAge":60000,/);
      assert.deepEqual((await request(app.callback()).get('/get').set('cookie', cookie).expect(200)).body, { user: 'u4', step: 'two' });
    });

    it("what the app's beforeSave changes after the change check is sealed too", async () => {
      const counting = await bootApp('cookie', { keys: KEYS, fixture: { routes: 'json' } }, { variant: 'counting-before-save' });
      try {
        const first = await request(counting.callback()).get('/set').query({ user: 'u5' }).expect(200);
        const second = await request(counting.callback()).get('/set').query({ user: 'u6' }).set('cookie', sessionCookie(first)!).expect(200);
        assert.deepEqual((await request(counting.callback()).get('/get').set('cookie', sessionCookie(second)!).expect(200)).body, { user: 'u6', saves: 2 });
      } finally {
        await counting.close();
      }
    });

    it('a cookie sealed data-first (before this layout) reads and compares the same', async () => {
      const text = JSON.stringify({ user: 'u2', _expire: Date.now() + 60_000, _maxAge: 86_400_000, _created: Date.now() });
      const cookie = `EGG_SESS=${new Sealer([ KEYS ], 'EGG_SESS').seal(text)}`;
      const read = await request(app.callback()).get('/get').set('cookie', cookie).expect(200);
      assert.deepEqual(read.body, { user: 'u2' });
      assert.equal(sessionCookie(read), undefined);
      const same = await request(app.callback()).get('/set').query({ user: 'u2' }).set('cookie', cookie).expect(200);
      assert.equal(sessionCookie(same), undefined);
      const changed = await request(app.callback()).get('/set').query({ user: 'u3' }).set('cookie', cookie).expect(200);
      assert.match(opened(sessionCookie(changed)!), /^\{"_expire":\d+,.*"user":"u3"\}$/);
    });
  });
});
