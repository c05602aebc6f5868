import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SessionControl, SessionLifecycleEvent } from '../index.js';
import { requireRedis, startRedisServer, type RedisServer } from './helpers/redis.js';
import { bootWith, issued, send, type BootedApp } from './helpers/security.js';

const EVENTS = [ 'created', 'regenerated', 'destroyed', 'revoked', 'evicted' ] as const;

interface Seen extends Omit<SessionLifecycleEvent, 'ctx'> {
  event: string;
  path?: string;
}

/** Records every lifecycle event of `booted` (with the path of the request it came from). */
function record(booted: BootedApp): { seen: Seen[]; take(): Seen[] } {
  const seen: Seen[] = [];
  for (const name of EVENTS) {
    booted.app.on(`session:${name}`, ({ ctx, ...rest }: SessionLifecycleEvent) => seen.push({ event: name, path: ctx?.path, ...rest }));
  }
  return {
    seen,
    take: () => seen.splice(0),
  };
}

/** Lifecycle events are emitted after the step (setImmediate): wait for them. */
const settled = () => sleep(20);

const control = (booted: BootedApp) => Reflect.get(booted.app, 'sessions') as SessionControl;

describe('lifecycle events: session:created|regenerated|destroyed|revoked|evicted', function () {
  this.timeout(60_000);
  let server: RedisServer | undefined;
  before(async function () {
    if (!requireRedis(this)) return;
    server = await startRedisServer();
  });
  after(() => server?.stop());

  for (const store of [ 'redis', 'cookie' ] as const) {
    describe(`store ${store} (session control on)`, () => {
      let booted: BootedApp;
      let events: ReturnType<typeof record>;
      before(async function () {
        if (!server) return this.skip();
        const session = store === 'redis'
          ? { store: 'redis', maxSessionsPerUser: 2, redis: { prefix: 'lc:' } }
          : { control: { enable: true }, redis: { prefix: 'lcc:' } };
        booted = await bootWith(session, server.port);
        events = record(booted);
      });
      after(() => booted?.close());
      beforeEach(() => events?.take());

      it('created once for a new session, with a non-secret reference; not again on later writes', async () => {
        const first = await send(booted.http.url, '/set?a=1');
        const cookie = issued(first);
        await send(booted.http.url, '/set?b=2', `EGG_SESS=${cookie}`).then(res => res.cookie ?? cookie);
        await settled();
        const seen = events.take();
        assert.deepEqual(seen.map(e => [ e.event, e.reason, e.path ]), [ [ 'created', 'new', '/set' ] ]);
        assert.ok(seen[0].ref && !cookie.includes(seen[0].ref) && seen[0].ref !== cookie, 'a reference, not the id or cookie');
        assert.equal(seen[0].user, undefined);
      });

      it('regenerated at sign-in (with the previous reference), destroyed at logout', async () => {
        const anonymous = issued(await send(booted.http.url, '/set?a=1'));
        await settled();
        const [ created ] = events.take();
        const signedIn = await send(booted.http.url, '/signin?user=lc-1', `EGG_SESS=${anonymous}`);
        await settled();
        const [ regenerated, ...rest ] = events.take();
        assert.deepEqual(rest, []);
        assert.equal(regenerated.event, 'regenerated');
        assert.equal(regenerated.reason, 'regenerate');
        assert.equal(regenerated.previousRef, created.ref);
        assert.ok(regenerated.ref && regenerated.ref !== created.ref, 'a new reference');
        assert.equal(regenerated.user, 'lc-1');
        await send(booted.http.url, '/logout', `EGG_SESS=${issued(signedIn)}`);
        await settled();
        assert.deepEqual(events.take().map(e => [ e.event, e.reason, e.user, e.ref ]), [ [ 'destroyed', 'logout', 'lc-1', regenerated.ref ] ]);
      });

      it('a sign-in on a fresh session (regenerate(), then the user) is created once, with that user', async () => {
        const signedIn = issued(await send(booted.http.url, '/signin?user=lc-6'));
        await settled();
        const seen = events.take();
        assert.deepEqual(seen.map(e => [ e.event, e.reason, e.user, e.path ]), [ [ 'created', 'new', 'lc-6', '/signin' ] ]);
        assert.ok(seen[0].ref);
        await send(booted.http.url, '/set?a=1', `EGG_SESS=${signedIn}`);
        await settled();
        assert.deepEqual(events.take(), [], 'not again on a later write');
      });

      it('a numeric user id stays a number in every payload, as the app set it', async () => {
        const cookie = issued(await send(booted.http.url, '/signin?user=4242&numeric=1'));
        await sleep(5); // signed in strictly before the revocation
        await control(booted).destroyAll(4242);
        await send(booted.http.url, '/get', `EGG_SESS=${cookie}`);
        await settled();
        const seen = events.take().map(e => [ e.event, e.user ]);
        assert.deepEqual(seen, store === 'redis'
          ? [ [ 'created', 4242 ], [ 'destroyed', 4242 ] ]
          : [ [ 'created', 4242 ], [ 'revoked', 4242 ] ]);
      });

      it('logout with a flash: destroyed for the old session, created for the new one', async () => {
        const cookie = issued(await send(booted.http.url, '/login?user=lc-2'));
        await settled();
        const [ created ] = events.take();
        await send(booted.http.url, '/logout-flash', `EGG_SESS=${cookie}`);
        await settled();
        const seen = events.take();
        assert.deepEqual(seen.map(e => [ e.event, e.reason ]), [ [ 'destroyed', 'logout' ], [ 'created', 'new' ] ]);
        assert.equal(seen[0].ref, created.ref);
        assert.notEqual(seen[1].ref, created.ref);
      });

      it('revoked: a session of a user who was logged out everywhere is refused on its next request', async () => {
        const cookie = issued(await send(booted.http.url, '/login?user=lc-3'));
        await settled();
        const [ created ] = events.take();
        await sleep(5); // signed in strictly before the revocation
        await control(booted).destroyAll('lc-3');
        await settled();
        events.take();
        await send(booted.http.url, '/get', `EGG_SESS=${cookie}`);
        await settled();
        const seen = events.take().filter(e => e.event === 'revoked');
        if (store === 'redis') {
          // the store session was destroyed with the index: nothing left to refuse
          assert.deepEqual(seen, []);
        } else {
          assert.deepEqual(seen.map(e => [ e.reason, e.user, e.ref ]), [ [ 'revoked', 'lc-3', created.ref ] ]);
        }
      });

      if (store === 'redis') {
        it('destroyed for another device (destroy), everywhere else (destroyOthers) and everywhere (destroyAll), each once', async () => {
          const phone = issued(await send(booted.http.url, '/signin?user=lc-4'));
          const laptop = issued(await send(booted.http.url, '/signin?user=lc-4'));
          await settled();
          events.take();
          const phoneId = (await send(booted.http.url, '/devices/id', `EGG_SESS=${phone}`)).body.id;
          await send(booted.http.url, `/devices/destroy?id=${phoneId}`, `EGG_SESS=${laptop}`);
          await settled();
          assert.deepEqual(events.take().map(e => [ e.event, e.reason, e.user, e.ref ]), [ [ 'destroyed', 'destroy', 'lc-4', phoneId ] ]);

          const tablet = issued(await send(booted.http.url, '/signin?user=lc-4'));
          await settled();
          events.take();
          await send(booted.http.url, '/devices/others', `EGG_SESS=${tablet}`);
          await settled();
          const others = events.take();
          assert.deepEqual(others.map(e => [ e.event, e.reason ]), [ [ 'destroyed', 'destroyOthers' ] ], 'the laptop');

          await send(booted.http.url, '/devices/all', `EGG_SESS=${tablet}`);
          await settled();
          const all = events.take();
          assert.deepEqual(all.map(e => [ e.event, e.reason ]), [ [ 'destroyed', 'destroyAll' ] ], 'the tablet itself, once');

          // app.sessions.destroy() and destroyAll() called in a request without its ctx: the event still names the request
          const desk = issued(await send(booted.http.url, '/signin?user=lc-4'));
          const kiosk = issued(await send(booted.http.url, '/signin?user=lc-4'));
          const kioskId = (await send(booted.http.url, '/devices/id', `EGG_SESS=${kiosk}`)).body.id;
          await settled();
          events.take();
          await send(booted.http.url, `/devices/app-destroy?id=${kioskId}`, `EGG_SESS=${desk}`);
          await settled();
          assert.deepEqual(events.take().map(e => [ e.event, e.reason, e.path ]), [ [ 'destroyed', 'destroy', '/devices/app-destroy' ] ]);
          await settled();
          events.take();
          await send(booted.http.url, '/devices/app-destroy-all', `EGG_SESS=${desk}`);
          await settled();
          assert.deepEqual(events.take().map(e => [ e.event, e.reason, e.path ]), [ [ 'destroyed', 'destroyAll', '/devices/app-destroy-all' ] ]);
        });

        it('evicted: maxSessionsPerUser (2) evicts the oldest session when a third signs in', async () => {
          const first = issued(await send(booted.http.url, '/signin?user=lc-5'));
          issued(await send(booted.http.url, '/signin?user=lc-5'));
          const firstId = (await send(booted.http.url, '/devices/id', `EGG_SESS=${first}`)).body.id;
          await settled();
          events.take();
          issued(await send(booted.http.url, '/signin?user=lc-5'));
          await settled();
          const evicted = events.take().filter(e => e.event === 'evicted');
          assert.deepEqual(evicted.map(e => [ e.reason, e.user, e.ref ]), [ [ 'maxSessionsPerUser', 'lc-5', firstId ] ]);
        });
      }
    });
  }

  it('nothing is emitted, and no payload built, when nobody listens', async function () {
    if (!server) return this.skip();
    const booted = await bootWith({ store: 'redis', redis: { prefix: 'lcq:' } }, server.port);
    try {
      const emitted: string[] = [];
      const emit = booted.app.emit.bind(booted.app);
      booted.app.emit = ((event: string, ...args: unknown[]) => {
        emitted.push(event);
        return emit(event, ...args);
      }) as typeof booted.app.emit;
      const cookie = issued(await send(booted.http.url, '/signin?user=lc-6'));
      await send(booted.http.url, '/logout', `EGG_SESS=${cookie}`);
      await settled();
      assert.deepEqual(emitted.filter(event => EVENTS.some(name => event === `session:${name}`)), []);
    } finally {
      await booted.close();
    }
  });
});
