import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import type { AppConfig, BaseApp } from './helpers/boot.js';
import { controlSuite } from './helpers/control-suite.js';
import { Device } from './helpers/device.js';
import type { Served } from './helpers/http.js';
import { controlApps } from './helpers/session-control-apps.js';

// app.sessions.load(idOrCookieHeader): a session outside a request (a socket.io handshake, a job, an admin tool)
interface Loaded {
  data: Record<string, unknown>;
  user?: string | number;
  signedInAt?: number;
  ref?: string;
  session: Record<string, any>;
  save(): Promise<boolean>;
}
type Sessions = { load(input: unknown): Promise<Loaded | undefined>; destroyAll(user: string): Promise<unknown>; list(user: string): Promise<{ id: string }[]> };

const variants: { name: string; base: BaseApp; redis?: true; store: boolean; control: boolean; config(port: number): AppConfig }[] = [
  { name: 'Redis store with session control', base: 'redis', redis: true, store: true, control: true, config: controlApps.redis },
  { name: 'cookie sessions with session control', base: 'redis', redis: true, store: false, control: true, config: controlApps.cookieRedis },
  { name: 'cookie sessions without session control', base: 'cookie', store: false, control: false, config: () => ({ keys: 'load-cookie-key', fixture: { routes: 'session-control' } }) },
];

for (const variant of variants) {
  describe(`app.sessions.load(), ${variant.name}`, function () {
    const suite = controlSuite(variant.config, { base: variant.base, redis: Boolean(variant.redis) });
    let redis: Redis | undefined;
    let http: Served;
    let sessions: Sessions;
    before(() => {
      ({ redis, http } = suite);
      sessions = suite.control as unknown as Sessions;
    });

    let nextUser = 1;
    async function signedIn(): Promise<{ device: Device; user: string }> {
      const user = `load-${nextUser++}`;
      const device = new Device(http.url);
      await device.get(`/login?user=${user}`);
      await device.get('/set?theme=dark');
      assert.ok(device.sessionCookie);
      return { device, user };
    }

    it('loads a session by its Cookie header or its bare cookie value: data, user and sign-in time', async () => {
      const { device, user } = await signedIn();
      const before = Date.now();
      for (const input of [ `EGG_SESS=${device.sessionCookie}`, `other=1; EGG_SESS=${device.sessionCookie}`, device.sessionCookie! ]) {
        const loaded = await sessions.load(input);
        assert.ok(loaded, input);
        assert.equal(loaded.data.theme, 'dark');
        assert.equal(loaded.data.userId, user);
        assert.equal(loaded.user, user);
        assert.ok(loaded.signedInAt! > 0 && loaded.signedInAt! <= before);
        assert.equal(loaded.session.theme, 'dark');
        if (variant.store) assert.deepEqual((await sessions.list(user)).map(s => s.id), [ loaded.ref ]);
        else assert.equal(loaded.ref, undefined);
      }
    });

    it('answers undefined, without throwing, for unknown, tampered and hostile input', async () => {
      const { device } = await signedIn();
      const cookie = device.sessionCookie!;
      const tampered = cookie.slice(0, -2) + (cookie.endsWith('A') ? 'BB' : 'AA');
      const hostile = [ '', 'EGG_SESS=', '3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b', tampered, `EGG_SESS=${tampered}`, 'sess:{u:load-1}:gen',
        'x'.repeat(20_000), 'EGG_SESS=%E0%A4%A', '{"userId":"admin"}', `EGG_SESS=${Buffer.from('{"userId":"admin"}').toString('base64')}` ];
      for (const input of hostile) assert.equal(await sessions.load(input), undefined, input.slice(0, 60));
    });

    it('takes only a string, and says so', async () => {
      for (const input of [ undefined, 42, { cookie: 'EGG_SESS=x' } ]) {
        await assert.rejects(sessions.load(input), /app\.sessions\.load\(\) takes a session id or a Cookie header/);
      }
    });

    if (variant.control) {
      it('refuses a revoked session', async () => {
        const { device, user } = await signedIn();
        assert.ok(await sessions.load(device.sessionCookie!));
        await sessions.destroyAll(user);
        assert.equal(await sessions.load(device.sessionCookie!), undefined);
      });
    }

    if (variant.store) {
      it('save() writes a change the browser then sees, and keeps the session listed', async () => {
        const { device, user } = await signedIn();
        const loaded = (await sessions.load(device.sessionCookie!))!;
        loaded.session.theme = 'light';
        assert.equal(await loaded.save(), true);
        assert.equal((await device.get('/get')).body.session.theme, 'light');
        assert.deepEqual((await sessions.list(user)).map(s => s.id), [ loaded.ref ]);
      });

      it('save() refuses to sign a session in: its new id could reach no client (and a fixed id must never be signed in)', async () => {
        const device = new Device(http.url);
        await device.get('/set?theme=anonymous');
        const loaded = (await sessions.load(device.sessionCookie!))!;
        assert.equal(loaded.user, undefined);
        loaded.session.userId = 'load-fixated';
        await assert.rejects(loaded.save(), /signed in \(its user set\) or regenerated only in a request/);
        // the session object's own save() and regenerate() go through the same rule
        await assert.rejects(loaded.session.save(), /signed in \(its user set\) or regenerated only in a request/);
        delete loaded.session.userId;
        await assert.rejects(loaded.session.regenerate(), /signed in \(its user set\) or regenerated only in a request/);
        assert.deepEqual(await sessions.list('load-fixated'), []);
        assert.equal((await device.get('/get')).body.session.userId, undefined);
      });

      it('save() after a logout elsewhere answers false and writes nothing (no resurrection)', async () => {
        const { device } = await signedIn();
        const id = device.sessionCookie!;
        const loaded = (await sessions.load(id))!;
        await device.get('/logout');
        loaded.session.theme = 'resurrected';
        assert.equal(await loaded.save(), false);
        assert.equal(await redis!.exists(`scapp:${id}`), 0);
        assert.equal(await sessions.load(id), undefined);
      });
    } else {
      it('save() of a cookie session fails: a new cookie can reach the browser only in a request', async () => {
        const { device } = await signedIn();
        const loaded = (await sessions.load(device.sessionCookie!))!;
        await assert.rejects(loaded.save(), /cookie session .*only in a request/);
      });
    }
  });
}
