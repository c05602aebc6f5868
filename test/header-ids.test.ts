import assert from 'node:assert/strict';
import type { MockApplication } from '@eggjs/mock';
import type { Redis } from 'ioredis';
import { Redis as RedisClient } from 'ioredis';
import { bootApp, bootError, closeApp, redisClient, type AppConfig } from './helpers/boot.js';
import { serve, type Served } from './helpers/http.js';
import { requireRedis, startRedisServer, type RedisServer } from './helpers/redis.js';
import { whileHeld } from './helpers/device.js';

// config.session.idHeader: store session ids in a request/response header, for clients without cookies
const HEADER = 'x-session-id';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Answer { status: number; body: any; id: string | null; setCookie: string[] }

/** A client that keeps no cookies: it sends the id it was last given in the header. */
class HeaderClient {
  id: string | undefined;
  readonly url: string;
  constructor(url: string) {
    this.url = url;
  }
  async get(path: string, extra: Record<string, string> = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...extra };
    if (this.id !== undefined) headers[HEADER] = this.id;
    const res = await fetch(this.url + path, { headers, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    let body: unknown = text;
    try { body = JSON.parse(text); } catch { /* text */ }
    const id = res.headers.get(HEADER);
    if (id !== null) this.id = id || undefined;
    return { status: res.status, body, id, setCookie: res.headers.getSetCookie() };
  }
}

function headerApp(port: number, session: Record<string, unknown> = {}): AppConfig {
  return {
    keys: 'header-ids-key',
    fixture: { routes: 'session-control' },
    session: { store: 'redis', idHeader: HEADER, redis: { prefix: 'hdr:' }, ...session },
    redis: redisClient(port),
  };
}

describe('session ids in a header (config.session.idHeader)', function () {
  let server: RedisServer;
  let redis: Redis;
  before(async function () {
    if (!requireRedis(this)) return;
    server = await startRedisServer();
    redis = new RedisClient({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: 1 });
  });
  after(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  describe('beside the cookie', () => {
    let app: MockApplication;
    let http: Served;
    before(async () => {
      app = await bootApp('redis', headerApp(server.port, { maxSessionsPerUser: 5 }));
      http = await serve(app.callback());
    });
    after(async () => {
      await http?.close();
      await closeApp(app);
    });

    it('sends the id on create and regenerate, reads it back, and sends nothing for an unchanged session', async () => {
      const client = new HeaderClient(http.url);
      const created = await client.get('/set?theme=dark');
      assert.match(created.id ?? '', UUID);
      const first = client.id!;
      assert.equal(await redis.exists(`hdr:${first}`), 1);
      const read = await client.get('/get');
      assert.equal(read.body.session.theme, 'dark');
      assert.equal(read.id, null, 'an unchanged session sends no header');
      const regenerated = await client.get('/regenerate');
      assert.match(regenerated.id ?? '', UUID);
      assert.notEqual(client.id, first);
      assert.equal(await redis.exists(`hdr:${first}`), 0);
      assert.equal((await client.get('/get')).body.session.theme, 'dark');
    });

    it('answers a logout, a revocation and an unknown id with an empty header', async () => {
      const client = new HeaderClient(http.url);
      await client.get('/login?user=hdr-1');
      assert.ok(client.id);
      const loggedOut = await client.get('/logout');
      assert.equal(loggedOut.id, '');
      assert.equal(client.id, undefined);

      await client.get('/login?user=hdr-2');
      const id = client.id!;
      await (app as any).sessions.destroyAll('hdr-2');
      const revoked = await client.get('/get');
      assert.equal(revoked.id, '');
      assert.equal(revoked.body.session.userId, undefined);
      assert.equal(await redis.exists(`hdr:${id}`), 0);

      const unknown = new HeaderClient(http.url);
      unknown.id = '3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';
      const answer = await unknown.get('/get');
      assert.equal(answer.id, '');
      assert.deepEqual(answer.body.session, {});
    });

    it('treats hostile header ids as no id: a fresh session, session:invalid, and no such store key', async () => {
      const invalid: unknown[] = [];
      const onInvalid = (event: { value: unknown }) => invalid.push(event.value);
      app.on('session:invalid', onInvalid);
      try {
        for (const hostile of [ 'hdr:{u:victim}:gen', '../etc/passwd', 'x'.repeat(5000), '3F1A2B4C-5D6E-4F70-8A9B-0C1D2E3F4A5B', '*' ]) {
          const client = new HeaderClient(http.url);
          client.id = hostile;
          const answer = await client.get('/set?probe=1');
          assert.equal(answer.status, 200, hostile);
          assert.match(answer.id ?? '', UUID, 'a new session under a new id');
        }
        await new Promise(resolve => setImmediate(resolve));
        assert.equal(invalid.length, 5);
      } finally {
        app.off('session:invalid', onInvalid);
      }
      const keys = await redis.keys('hdr:*');
      for (const key of keys) assert.ok(UUID.test(key.slice(4)) || key.startsWith('hdr:{u:'), key);
    });

    it('keeps cookie sessions working for browsers, and never shows their id to page script in a header', async () => {
      const res = await fetch(`${http.url}/set?theme=light`);
      const cookie = res.headers.getSetCookie().find(line => line.startsWith('EGG_SESS='));
      assert.ok(cookie, 'a Set-Cookie for a client that sent no header');
      const pair = cookie!.split(';')[0];
      const again = await fetch(`${http.url}/get`, { headers: { cookie: pair } });
      assert.equal((await again.json()).session.theme, 'light');
      // a request with its httpOnly cookie (a page's fetch) gets the new id only in Set-Cookie
      const regenerated = await fetch(`${http.url}/regenerate`, { headers: { cookie: pair } });
      assert.equal(regenerated.headers.get(HEADER), null);
      assert.ok(regenerated.headers.getSetCookie().some(line => line.startsWith('EGG_SESS=') && !line.startsWith(pair)));
      // nor with an empty session cookie shadowing the real one (a script can plant one on a longer path), nor any other cookie
      for (const cookie of [ `EGG_SESS=; ${pair}`, 'EGG_SESS=', 'csrfToken=abc' ]) {
        const login = await fetch(`${http.url}/login?user=hdr-browser`, { headers: { cookie } });
        assert.equal(login.status, 200);
        assert.equal(login.headers.get(HEADER), null, cookie);
        assert.ok(login.headers.getSetCookie().some(line => line.startsWith('EGG_SESS=')), 'the browser gets its cookie');
      }
    });

    it('takes back a new id it could not keep: regenerate(), then the new id destroyed elsewhere before the request ends', async () => {
      const client = new HeaderClient(http.url);
      await client.get('/login?user=hdr-taken-back');
      const answer = await whileHeld(app, () => client.get('/regenerate-hold'), () => (app as any).sessions.destroyAll('hdr-taken-back'));
      assert.equal(answer.status, 200);
      assert.equal(answer.id, null, 'no dead id handed out');
      assert.deepEqual(await (app as any).sessions.list('hdr-taken-back'), []);
      const next = await client.get('/get');
      assert.equal(next.body.session.userId, undefined, 'signed out everywhere');
    });

    it('sends nothing to a request whose id another request moved or ended meanwhile: the client may hold the newer id', async () => {
      const client = new HeaderClient(http.url);
      await client.get('/login?user=hdr-moved');
      const old = client.id!;
      const slow = new HeaderClient(http.url);
      slow.id = old;
      const answer = await whileHeld(app, () => slow.get('/hold?value=late'), async () => assert.match((await client.get('/regenerate')).id ?? '', UUID));
      assert.equal(answer.status, 200);
      assert.equal(answer.id, null, 'neither the dead id nor an empty header');
      assert.equal(await redis.exists(`hdr:${old}`), 0, 'the late write did not bring the old id back');
      assert.equal((await client.get('/get')).body.session.userId, 'hdr-moved');
      // a late regenerate() of the id another request moved on: it goes on fresh, and says nothing either
      const lateRegenerate = new HeaderClient(http.url);
      lateRegenerate.id = client.id;
      const again = await whileHeld(app, () => lateRegenerate.get('/hold-then-regenerate'), () => client.get('/regenerate'));
      assert.equal(again.status, 200);
      assert.equal(again.id, null, 'no empty header for an id that moved on');
      assert.equal((await client.get('/get')).body.session.userId, 'hdr-moved');
    });
  });

  describe('header only (idHeaderOnly)', () => {
    let app: MockApplication;
    let http: Served;
    before(async () => {
      app = await bootApp('redis', headerApp(server.port, { idHeaderOnly: true }));
      http = await serve(app.callback());
    });
    after(async () => {
      await http?.close();
      await closeApp(app);
    });

    it('sets no cookie, and ignores a session cookie', async () => {
      const client = new HeaderClient(http.url);
      const created = await client.get('/set?theme=dark');
      assert.match(created.id ?? '', UUID);
      assert.deepEqual(created.setCookie.filter(line => line.startsWith('EGG_SESS')), []);
      const byCookie = await fetch(`${http.url}/get`, { headers: { cookie: `EGG_SESS=${client.id}` } });
      assert.deepEqual((await byCookie.json()).session, {});
      assert.equal((await client.get('/get')).body.session.theme, 'dark');
      const out = await client.get('/logout');
      assert.equal(out.id, '');
      assert.deepEqual(out.setCookie.filter(line => line.startsWith('EGG_SESS')), []);
    });
  });

  describe('boot checks', () => {
    const fails = async (config: AppConfig, message: RegExp, variant?: 'custom-genid' | 'header-key') => {
      const error = await bootError(config.redis ? 'redis' : 'cookie', config, variant ? { variant } : {});
      assert.match(error.message, message);
    };

    it('fails naming config.session.idHeader without a store, with a custom genid or externalKey, or a bad header name', async () => {
      await fails({ keys: 'k', session: { idHeader: HEADER } }, /config\.session\.idHeader needs a session store/);
      await fails(headerApp(server.port), /config\.session\.idHeader.*custom config\.session\.genid/, 'custom-genid');
      await fails(headerApp(server.port), /config\.session\.idHeader.*config\.session\.externalKey/, 'header-key');
      await fails(headerApp(server.port, { idHeader: 'x session' }), /config\.session\.idHeader/);
      for (const name of [ 'set-cookie', 'Cookie', 'authorization', 'content-type', 'x-frame-options', 'X-CSRF-Token', 'cache-control', 'session-id',
        'x-readtime', 'x-request-id', 'x-forwarded' ]) {
        await fails(headerApp(server.port, { idHeader: name }), /config\.session\.idHeader: must be a header of your own/);
      }
      await fails({ keys: 'k', session: { idHeaderOnly: true } }, /config\.session\.idHeaderOnly needs config\.session\.idHeader/);
      await fails({ ...headerApp(server.port), security: { csrf: { enable: false, headerName: 'x-session-id' } } }, /config\.session\.idHeader 'x-session-id' is read by egg already/);
    });
  });
});
