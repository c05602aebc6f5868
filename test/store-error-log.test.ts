import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { MockApplication } from '@eggjs/mock';
import { bootApp, closeApp, redisClient } from './helpers/boot.js';
import { serve, type Served } from './helpers/http.js';
import { requireRedis, startRedisServer, type RedisServer } from './helpers/redis.js';
import { Device } from './helpers/device.js';
import { refOf } from '../lib/session-id.js';

/** A TCP proxy to Redis that can stop passing Redis' answers on: calls then hang until the store timeout. */
async function hangingProxy(target: number): Promise<{ port: number; hang(on: boolean): void; close(): Promise<void> }> {
  let hanging = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer(client => {
    const upstream = net.connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', chunk => upstream.write(chunk));
    upstream.on('data', chunk => hanging || client.write(chunk));
    for (const socket of [ client, upstream ]) socket.on('error', () => undefined).on('close', () => (client.destroy(), upstream.destroy()));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hang: on => (hanging = on),
    close: () => new Promise<void>(resolve => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

describe('store failures are logged in the request that failed, naming the session by its reference', function () {
  let server: RedisServer | undefined;
  let proxy: Awaited<ReturnType<typeof hangingProxy>>;
  let app: MockApplication;
  let http: Served;
  before(async function () {
    if (!requireRedis(this)) return;
    server = await startRedisServer();
    proxy = await hangingProxy(server.port);
    app = await bootApp('redis', {
      keys: 'error-log-key', fixture: { routes: 'app-data' },
      session: { store: 'redis', redis: { prefix: 'errlog:' }, storeTimeout: 200, onStoreError: 'anonymous' },
      redis: redisClient(proxy.port),
    });
    http = await serve(app.callback());
  });
  after(async () => {
    await http?.close();
    await closeApp(app);
    await proxy?.close();
    await server?.stop();
  });

  it('two requests failing together (the store hangs): each [session][error] line carries its own request, and its session\'s ref', async function () {
    if (!server) return this.skip();
    const first = new Device(http.url);
    const second = new Device(http.url);
    await first.get('/login?user=first');
    await second.get('/login?user=second');
    const errors: any[] = [];
    app.on('session:error', event => errors.push(event));
    app.mockLog('coreLogger');
    proxy.hang(true);
    try {
      // the first arms the store's shared timeout timer, the second fails on it too
      const answers = await Promise.all([ first.get('/read-slowly?who=FIRST_REQUEST'), second.get('/read-slowly?who=SECOND_REQUEST') ]);
      assert.deepEqual(answers.map(answer => answer.status), [ 200, 200 ]);
    } finally {
      proxy.hang(false);
    }
    for (const [ device, who ] of [ [ first, 'FIRST_REQUEST' ], [ second, 'SECOND_REQUEST' ] ] as const) {
      const ref = refOf(device.sessionCookie!);
      app.expectLog(new RegExp(`GET /read-slowly\\?who=${who}\\].*\\[session\\]\\[error\\] key\\(ref:${ref}\\) session store get timed out`), 'coreLogger');
      const event = errors.find(e => e.ref === ref);
      assert.ok(event, `session:error for ${who}`);
      assert.equal(event.key, `ref:${ref}`, 'the event names the session by its reference');
      assert.equal(event.storeKey, undefined, 'the built-in store needs no id in the event');
      assert.ok(!JSON.stringify({ ...event, ctx: undefined, error: undefined }).includes(device.sessionCookie!), 'no live id in the payload');
    }
  });
});

describe('session:error of an app\'s own store', () => {
  it('carries the id the store was called with, as storeKey (the app may need it), and the ref', async () => {
    const app = await bootApp('cookie', { keys: 'error-log-app-store', fixture: { routes: 'app-data', store: 'failing' }, session: { onStoreError: 'anonymous' } });
    const http = await serve(app.callback());
    try {
      const errors: any[] = [];
      app.on('session:error', event => errors.push(event));
      const id = `${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`;
      await fetch(`${http.url}/get`, { headers: { cookie: `EGG_SESS=${id}` } });
      await new Promise(resolve => setImmediate(resolve));
      assert.equal(errors.length, 1);
      assert.deepEqual({ key: errors[0].key, ref: errors[0].ref, storeKey: errors[0].storeKey, operation: errors[0].operation },
        { key: `ref:${refOf(id)}`, ref: refOf(id), storeKey: id, operation: 'get' });
    } finally {
      await http.close();
      await closeApp(app);
    }
  });
});
