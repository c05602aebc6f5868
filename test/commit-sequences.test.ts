import assert from 'node:assert/strict';
import type { MockApplication } from '@eggjs/mock';
import { request } from '@eggjs/supertest';
import type { Redis } from 'ioredis';
import { Sealer } from '../lib/cookie/sealer.js';
import { usePrivateRedis, type RedisServer } from './helpers/redis.js';
import { bootApp, closeApp, redisClient, type AppConfig } from './helpers/boot.js';

const KEYS = 'commit-sequences-key';

type Reply = { status: number; headers: Record<string, unknown>; body: Record<string, unknown> };

function sessionCookieLine(res: Reply): string | undefined {
  return ([ res.headers['set-cookie'] ?? [] ].flat() as string[]).find(line => line.startsWith('EGG_SESS='));
}

function cookieOf(res: Reply, previous?: string): string | undefined {
  const line = sessionCookieLine(res);
  return line ? line.split(';')[0] : previous;
}

/** One browser: sends the session cookie it was last given. */
function browser(app: MockApplication) {
  let cookie: string | undefined;
  return {
    get cookie() {
      return cookie;
    },
    async get(path: string, query: Record<string, string> = {}): Promise<Reply> {
      const req = request(app.callback()).get(path).query(query);
      if (cookie) req.set('cookie', cookie);
      const res = await req.expect(200) as unknown as Reply;
      cookie = cookieOf(res, cookie);
      return res;
    },
  };
}

/**
 * The same sequences on every store: a session that lives beyond one request is saved as it is when
 * the request ends, whatever the app committed before; a browser-session login stays one.
 */
function describeSequences(label: string, boot: (config: AppConfig) => Promise<MockApplication>, stored: (app: MockApplication, cookie: string) => Promise<Record<string, unknown> | undefined>, kind: 'cookie' | 'built-in store' | 'app store' = 'built-in store') {
  const store = kind !== 'cookie';
  describe(label, () => {
    let app: MockApplication;
    let browserApp: MockApplication;
    let absoluteApp: MockApplication;
    before(async () => {
      app = await boot({});
      browserApp = await boot({ session: { maxAge: 'session' } });
      absoluteApp = await boot({ session: { absoluteMaxAge: 1500 } });
    });
    after(async () => {
      await closeApp(app);
      await closeApp(browserApp);
      await closeApp(absoluteApp);
    });

    it('absoluteMaxAge counts from the sign-in (regenerate), not from the anonymous session before it', async () => {
      const client = browser(absoluteApp);
      await client.get('/set', { visit: '1' });
      await new Promise(resolve => setTimeout(resolve, 1000));
      await client.get('/login', { user: 'a1' });
      await new Promise(resolve => setTimeout(resolve, 800));
      assert.deepEqual((await client.get('/get')).body, { visit: '1', userId: 'a1' }, 'still signed in 0.8 s after the login');
    });

    it('a lifetime over 400 days set by the app is sent as 400 days', async () => {
      const client = browser(app);
      const res = await client.get('/keep-for-500-days');
      assert.match(sessionCookieLine(res)!, /max-age=34560000;/);
    });

    it('a fractional lifetime set by the app is saved as whole milliseconds', async () => {
      const client = browser(app);
      await client.get('/keep-for', { ms: '90000.5' });
      const saved = await stored(app, client.cookie!);
      assert.equal(saved?.kept, '90000.5');
      assert.equal(saved?._maxAge, 90001);
    });

    it('a lifetime of 0, below 0 or not a number set by the app fails the request naming ctx.session.maxAge, and nothing is written', async () => {
      const client = browser(app);
      await client.get('/set', { step: 'before' });
      for (const query of [ { ms: '0' }, { ms: '-1000' }, { ms: 'soon' }, { ms: '60000', raw: '1' } ]) {
        const res = await request(app.callback()).get('/keep-for').query(query).set('cookie', client.cookie!);
        assert.equal(res.status, 500, JSON.stringify(query));
        assert.match(res.text, /ctx\.session\.maxAge must be a positive number of milliseconds or 'session'/);
        assert.equal(sessionCookieLine(res as unknown as Reply), undefined, `${JSON.stringify(query)}: no session cookie`);
        assert.equal((await stored(app, client.cookie!))?.step, 'before');
        assert.equal((await stored(app, client.cookie!))?.kept, undefined, JSON.stringify(query));
      }
    });

    it('a browser-session login (regenerate, then maxAge \'session\') stays a browser-session cookie on every later write', async () => {
      const client = browser(app);
      const login = await client.get('/login-browser-session', { user: 'b1' });
      assert.doesNotMatch(sessionCookieLine(login)!, /max-age|expires/i);
      assert.equal((await stored(app, client.cookie!))?._session, true);
      const later = await client.get('/set', { visit: '1' });
      assert.doesNotMatch(sessionCookieLine(later)!, /max-age|expires/i, 'still ends with the browser');
      assert.equal((await stored(app, client.cookie!))?._session, true);
    });

    it('with maxAge \'session\' configured, a request that commits twice writes a browser-session cookie both times', async () => {
      const client = browser(browserApp);
      await client.get('/set', { userId: 'b2' });
      const twice = await client.get('/save-then-change');
      assert.doesNotMatch(sessionCookieLine(twice)!, /max-age|expires/i);
      const stored2 = await stored(browserApp, client.cookie!);
      assert.equal(stored2?._session, true);
      assert.equal(stored2?._maxAge, undefined);
      const later = await client.get('/set', { visit: '2' });
      assert.doesNotMatch(sessionCookieLine(later)!, /max-age|expires/i);
      assert.deepEqual((await client.get('/get')).body, { userId: 'b2', step: 'changed after save', visit: '2' });
    });

    it('a session assigned whole and then regenerated keeps its data', async () => {
      const client = browser(app);
      const login = await client.get('/assign-then-regenerate', { user: 'u9' });
      assert.deepEqual(login.body, { cart: [ 'book' ], userId: 'u9' });
      assert.deepEqual((await client.get('/get')).body, { cart: [ 'book' ], userId: 'u9' });
    });

    if (store) {
      it('a request still running when its session is logged out elsewhere is not saved, and its response sends no session cookie', async () => {
        const client = browser(app);
        await client.get('/set', { userId: 'l1' });
        const cookie = client.cookie!;
        // then() sends it now (supertest waits for it otherwise)
        const slow = request(app.callback()).get('/slow-set').query({ delay: '300' }).set('cookie', cookie).expect(200).then(res => res);
        await new Promise(resolve => setTimeout(resolve, 50));
        await request(app.callback()).get('/logout').set('cookie', cookie).expect(200);
        const late = await slow as unknown as Reply;
        assert.equal(late.body.userId, 'l1', 'it had loaded the session');
        assert.equal(sessionCookieLine(late), undefined, 'no cookie for a session that is gone (another response may hold a newer one)');
        assert.equal(await stored(app, cookie), undefined, 'the session stays destroyed');
      });

      it('a login (regenerate(), then the user) overlapping a logout of the session it loaded signs in on a fresh session', async () => {
        const client = browser(app);
        await client.get('/set', { userId: 'l3', cart: 'book' });
        const cookie = client.cookie!;
        const slow = request(app.callback()).get('/slow-login').query({ delay: '300', user: 'l3' }).set('cookie', cookie).expect(200).then(res => res);
        await new Promise(resolve => setTimeout(resolve, 50));
        await request(app.callback()).get('/logout').set('cookie', cookie).expect(200);
        const late = await slow as unknown as Reply;
        assert.deepEqual(late.body, { userId: 'l3' }, 'the logged-out session is not carried over');
        const signedIn = cookieOf(late);
        assert.ok(signedIn && signedIn !== cookie, 'the login gets its cookie');
        assert.deepEqual((await request(app.callback()).get('/get').set('cookie', signedIn!).expect(200)).body, { userId: 'l3' });
        assert.deepEqual((await request(app.callback()).get('/get').set('cookie', cookie).expect(200)).body, {}, 'the old id is dead');
        assert.equal(await stored(app, cookie), undefined);
      });

      it('a request that hands its session to another user while it is logged out elsewhere does not bring it back', async () => {
        const client = browser(app);
        await client.get('/set', { userId: 'l4' });
        const cookie = client.cookie!;
        const slow = request(app.callback()).get('/slow-set').query({ delay: '300', user: 'l5' }).set('cookie', cookie).expect(200).then(res => res);
        await new Promise(resolve => setTimeout(resolve, 50));
        await request(app.callback()).get('/logout').set('cookie', cookie).expect(200);
        const late = await slow as unknown as Reply;
        assert.equal(sessionCookieLine(late), undefined, 'no cookie for a session that is gone');
        assert.equal(await stored(app, cookie), undefined, 'the session stays destroyed');
        assert.deepEqual((await request(app.callback()).get('/get').set('cookie', cookie).expect(200)).body, {});
      });

      it('a request that saves twice while its session is logged out elsewhere writes neither save', async () => {
        const client = browser(app);
        await client.get('/set', { userId: 'l2' });
        const cookie = client.cookie!;
        const slow = request(app.callback()).get('/slow-save-twice').query({ delay: '300' }).set('cookie', cookie).expect(200).then(res => res);
        await new Promise(resolve => setTimeout(resolve, 50));
        await request(app.callback()).get('/logout').set('cookie', cookie).expect(200);
        const late = await slow as unknown as Reply;
        assert.equal(late.body.userId, 'l2', 'it had loaded the session');
        assert.equal(sessionCookieLine(late), undefined);
        assert.equal(await stored(app, cookie), undefined, 'the session stays destroyed');
        const replay = await request(app.callback()).get('/get').set('cookie', cookie).expect(200);
        assert.deepEqual(replay.body, {}, 'the old id is dead');
      });

      // with an app's store the index refuses it: the sign-out of a destroyed session (its tombstone) is no plain sign-out
      it('a request that signs its user out (the session lives on) while it is logged out elsewhere does not bring it back', async () => {
        const client = browser(app);
        await client.get('/set', { userId: 'l7', cart: 'book' });
        const cookie = client.cookie!;
        const slow = request(app.callback()).get('/slow-sign-out').query({ delay: '300' }).set('cookie', cookie).expect(200).then(res => res);
        await new Promise(resolve => setTimeout(resolve, 50));
        await request(app.callback()).get('/logout').set('cookie', cookie).expect(200);
        const late = await slow as unknown as Reply;
        assert.deepEqual(late.body, { cart: 'book', late: 'write' }, 'it had loaded the session');
        assert.equal(sessionCookieLine(late), undefined, 'no cookie for a session that is gone');
        assert.equal(await stored(app, cookie), undefined, 'the session stays destroyed');
        assert.deepEqual((await request(app.callback()).get('/get').set('cookie', cookie).expect(200)).body, {});
      });

      // a second write after a refused one: an app's store writes whatever it is given, and without a user the index has nothing to refuse
      it('a request that saves, then signs its user out and saves again, while its session is logged out elsewhere writes neither save', async () => {
        const client = browser(app);
        await client.get('/set', { userId: 'l6' });
        const cookie = client.cookie!;
        const slow = request(app.callback()).get('/slow-save-then-sign-out').query({ delay: '300' }).set('cookie', cookie).expect(200).then(res => res);
        await new Promise(resolve => setTimeout(resolve, 50));
        await request(app.callback()).get('/logout').set('cookie', cookie).expect(200);
        const late = await slow as unknown as Reply;
        assert.deepEqual(late.body, { first: 1, cart: 'kept' }, 'it had loaded the session');
        assert.equal(sessionCookieLine(late), undefined);
        assert.equal(await stored(app, cookie), undefined, 'the session stays destroyed, also without its user');
        assert.deepEqual((await request(app.callback()).get('/get').set('cookie', cookie).expect(200)).body, {}, 'the old id is dead');
      });
    }

    // an app's own store writes back what it is given; only session control's index (sessions with a user) refuses it
    if (kind === 'built-in store') {
      it('a request overlapping a login (regenerate) does not clear the new session\'s cookie', async () => {
        const client = browser(app);
        await client.get('/set', { cart: '1' });
        const anonymous = client.cookie!;
        const slow = request(app.callback()).get('/slow-set').query({ delay: '300' }).set('cookie', anonymous).expect(200).then(res => res);
        await new Promise(resolve => setTimeout(resolve, 50));
        const login = await client.get('/login', { user: 'o1' });
        const signedIn = cookieOf(login)!;
        assert.notEqual(signedIn, anonymous);
        const late = await slow as unknown as Reply;
        assert.equal(sessionCookieLine(late), undefined, 'the late response leaves the browser\'s (new) cookie alone');
        assert.deepEqual((await request(app.callback()).get('/get').set('cookie', signedIn).expect(200)).body, { cart: '1', userId: 'o1' });
      });
    }

    it('assigning the session anew keeps its creation time: absoluteMaxAge still ends it', async () => {
      const client = browser(absoluteApp);
      await client.get('/login', { user: 'a2' });
      for (let i = 0; i < 2; i++) {
        await new Promise(resolve => setTimeout(resolve, 500));
        assert.equal((await client.get('/slow-assign', { visit: String(i) })).body.userId, 'a2');
      }
      await new Promise(resolve => setTimeout(resolve, 700));
      assert.deepEqual((await client.get('/get')).body, {}, '1.7 s after the login, past absoluteMaxAge 1.5 s');
    });

    it('a new session object for the same user (null, then an object) keeps its creation time: absoluteMaxAge still ends it', async () => {
      const client = browser(absoluteApp);
      await client.get('/login', { user: 'a3' });
      for (let i = 0; i < 2; i++) {
        await new Promise(resolve => setTimeout(resolve, 500));
        assert.equal((await client.get('/reassign')).body.userId, 'a3');
      }
      await new Promise(resolve => setTimeout(resolve, 700));
      assert.deepEqual((await client.get('/get')).body, {}, '1.7 s after the login, past absoluteMaxAge 1.5 s');
    });

    it('a change undone after a manual commit is saved undone', async () => {
      const client = browser(app);
      await client.get('/set', { step: 'original' });
      await client.get('/commit-then-revert');
      assert.deepEqual((await client.get('/get')).body, { step: 'original' });
    });
  });
}

describe('commit sequences: what a request saves is the session as it ends', function () {
  this.timeout(60_000);
  const routes = { keys: KEYS, fixture: { routes: 'commit-sequences' as const } };

  describeSequences('cookie sessions', config => bootApp('cookie', { ...routes, ...config }), async (_app, cookie) => {
    const opened = new Sealer([ KEYS ], 'EGG_SESS').open(cookie.slice('EGG_SESS='.length));
    return opened && JSON.parse(opened.text);
  }, 'cookie');

  describeSequences('memory store', config => bootApp('cookie', { ...routes, ...config, session: { store: 'memory', ...config.session } }), async (app, cookie) => {
    const store = app.sessionStore as unknown as { get(id: string): Promise<Record<string, unknown> | undefined> };
    return store.get(cookie.slice('EGG_SESS='.length));
  });

  describe('on Redis', () => {
    let server: RedisServer;
    let redis: Redis;
    const privateRedis = usePrivateRedis();
    before(() => ({ server, redis } = privateRedis));

    describeSequences('Redis store', config => bootApp('redis', {
      ...routes, ...config, redis: redisClient(server.port), session: { store: 'redis', redis: { prefix: 'seq:' }, ...config.session },
    }), async (_app, cookie) => {
      const json = await redis.get(`seq:${cookie.slice('EGG_SESS='.length)}`);
      return json ? JSON.parse(json) : undefined;
    });

    it('cookie sessions with session control: a session assigned anew while "log out everywhere" runs is refused next time', async () => {
      const app = await bootApp('redis', { ...routes, redis: redisClient(server.port), session: { control: { enable: true }, redis: { prefix: 'seqrev:' } } });
      try {
        const phone = browser(app);
        await phone.get('/login', { user: 'r1' });
        const slow = request(app.callback()).get('/slow-assign').query({ delay: '300', pref: 'dark' }).set('cookie', phone.cookie!).expect(200).then(res => res);
        await new Promise(resolve => setTimeout(resolve, 100));
        await request(app.callback()).get('/destroy-all').query({ user: 'r1' }).expect(200);
        const late = await slow as unknown as Reply;
        const assigned = cookieOf(late);
        assert.ok(assigned, 'the assigned session was written');
        const next = await request(app.callback()).get('/get').set('cookie', assigned!).expect(200);
        assert.deepEqual(next.body, {}, 'the assigned session keeps the sign-in time the revocation covers');
      } finally {
        await closeApp(app);
      }
    });

    for (const [ label, session ] of [ [ 'without session control', { control: { enable: false } } ], [ 'with session control', {} ] ] as const) {
      it(`${label}: a rolling request that changed nothing, still running when its session is logged out elsewhere, sends no session cookie`, async () => {
        const app = await bootApp('redis', { ...routes, redis: redisClient(server.port), session: { store: 'redis', rolling: true, redis: { prefix: 'seqroll:' }, ...session } });
        try {
          const client = browser(app);
          await client.get('/set', { userId: 'rl1' });
          const cookie = client.cookie!;
          const slow = request(app.callback()).get('/slow-get').query({ delay: '300' }).set('cookie', cookie).expect(200).then(res => res);
          await new Promise(resolve => setTimeout(resolve, 50));
          await request(app.callback()).get('/logout').set('cookie', cookie).expect(200);
          const late = await slow as unknown as Reply;
          assert.deepEqual(late.body, { userId: 'rl1' }, 'it had loaded the session');
          // the refresh (PEXPIRE) found the key gone, and so did the write it fell back to
          assert.equal(sessionCookieLine(late), undefined, 'no cookie for a session that is gone');
          assert.equal(await redis.exists(`seqroll:${cookie.slice('EGG_SESS='.length)}`), 0);
        } finally {
          await closeApp(app);
        }
      });
    }

    // the app's own store writes back whatever it is given: session control's index refuses it
    describeSequences('app.sessionStore with session control', config => bootApp('redis', {
      ...routes, ...config, fixture: { routes: 'commit-sequences', store: 'map' }, redis: redisClient(server.port),
      session: { control: { enable: true }, redis: { prefix: 'seqmap:' }, ...config.session },
    }), async (app, cookie) => {
      const store = app.sessionStore as unknown as { data: Map<string, Record<string, unknown>> };
      return store.data.get(cookie.slice('EGG_SESS='.length));
    }, 'app store');
  });

  describe('a store outage under onStoreError \'anonymous\'', () => {
    it('is a session:error, not a missing session: no session:missed for the id the request sent', async () => {
      const app = await bootApp('cookie', { ...routes, fixture: { routes: 'commit-sequences', store: 'failing' }, session: { onStoreError: 'anonymous' } });
      try {
        const seen: string[] = [];
        for (const event of [ 'missed', 'invalid', 'expired', 'error' ]) app.on(`session:${event}`, () => seen.push(event));
        const id = 'd7a9a4b2-3c1e-4f5a-9b6c-2e8f0a1b3c4d';
        const res = await request(app.callback()).get('/get').set('cookie', `EGG_SESS=${id}`).expect(200);
        assert.deepEqual(res.body, {});
        await new Promise(resolve => setImmediate(resolve));
        assert.deepEqual(seen, [ 'error' ]);
      } finally {
        await closeApp(app);
      }
    });
  });
});
