import assert from 'node:assert/strict';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { mm, type MockApplication } from '@eggjs/mock';
import { MemoryStore } from '../lib/store/memory.js';
import { baseDir, bootApp, type AppConfig } from './helpers/boot.js';
import { get, serve, type Served } from './helpers/http.js';

/** cookie-app with the memory store, bounded small enough to see eviction and expiry */
const MEMORY_APP: AppConfig = {
  keys: 'rd-memory-key',
  fixture: { routes: 'store-sessions' },
  session: { store: 'memory', memory: { maxEntries: 3, sessionTTL: 300 } },
};

const MEMORY_WARNING = /\[egg-session-plus\] store "memory" keeps sessions in this process only/;

/** The prod env writes logs through a buffer: poll the core log file (bounded). */
async function waitForLogLine(app: MockApplication, pattern: RegExp): Promise<void> {
  const file = (app.coreLogger as unknown as { options: { file: string } }).options.file;
  for (let waited = 0; waited < 5000; waited += 100) {
    if (fs.existsSync(file) && pattern.test(fs.readFileSync(file, 'utf8'))) return;
    await sleep(100);
  }
  throw new Error(`no ${pattern} in ${file} within 5 s`);
}

describe('memory store', () => {
  describe('called directly', () => {
    it('stays within maxEntries under 100,000 distinct sessions, keeping the most recent', async () => {
      const store = new MemoryStore({ maxEntries: 10_000, sessionTTL: 60_000 });
      let largest = 0;
      const started = performance.now();
      for (let i = 0; i < 100_000; i++) {
        await store.set(`id-${i}`, { n: i, _maxAge: 60_000 }, 70_000);
        if (store.size > largest) largest = store.size;
      }
      const ms = Math.round(performance.now() - started);
      console.log('      measured: 100,000 sets in %d ms, largest size %d', ms, largest);
      assert.equal(largest, 10_000);
      assert.equal(await store.get('id-89999'), undefined, 'older sessions were evicted');
      assert.deepEqual(await store.get('id-90000'), { n: 90_000, _maxAge: 60_000 });
      assert.deepEqual(await store.get('id-99999'), { n: 99_999, _maxAge: 60_000 });
    });

    it('evicts the least recently used session: a read counts as use', async () => {
      const store = new MemoryStore({ maxEntries: 2, sessionTTL: 60_000 });
      await store.set('a', { v: 'a' }, 60_000);
      await store.set('b', { v: 'b' }, 60_000);
      await store.get('a');
      await store.set('c', { v: 'c' }, 60_000);
      assert.deepEqual(await store.get('a'), { v: 'a' });
      assert.equal(await store.get('b'), undefined);
      assert.deepEqual(await store.get('c'), { v: 'c' });
    });

    it("honours the TTL: numeric maxAge, and sessionTTL for 'session'", async () => {
      const store = new MemoryStore({ maxEntries: 10, sessionTTL: 80 });
      await store.set('short', { v: 1 }, 40);
      await store.set('browser', { v: 2 }, 'session');
      await store.set('long', { v: 3 }, 60_000);
      await sleep(60);
      assert.equal(await store.get('short'), undefined);
      assert.deepEqual(await store.get('browser'), { v: 2 });
      await sleep(40);
      assert.equal(await store.get('browser'), undefined);
      assert.deepEqual(await store.get('long'), { v: 3 });
      assert.equal(store.size, 1, 'expired entries are dropped when read');
    });

    it('keeps a copy: changing the object after set does not change the stored session', async () => {
      const store = new MemoryStore({ maxEntries: 10, sessionTTL: 1000 });
      const value: Record<string, unknown> = { list: [ 1 ] };
      await store.set('x', value, 1000);
      (value.list as number[]).push(2);
      assert.deepEqual(await store.get('x'), { list: [ 1 ] });
    });
  });

  describe("over HTTP (store: 'memory', maxEntries: 3, sessionTTL: 300)", () => {
    let app: MockApplication;
    let http: Served;
    before(async () => {
      app = await bootApp('cookie', MEMORY_APP);
      http = await serve(app.callback());
    });
    after(async () => {
      await http?.close();
      await app?.close();
    });

    it('keeps sessions server-side and evicts beyond the bound', async () => {
      const first = (await get(http.url, '/set?n=1')).sessionCookie!;
      assert.ok(first && !first.includes('.'), 'the cookie holds only the session id');
      assert.deepEqual((await get(http.url, '/get', first)).body.session, { n: '1' });
      for (let i = 2; i <= 4; i++) await get(http.url, `/set?n=${i}`);
      const evicted = await get(http.url, '/get', first);
      assert.equal(evicted.body.isNew, true, 'the least recently used session is gone');
    });

    it('expires a session after its maxAge', async () => {
      const id = (await get(http.url, '/set?n=1')).sessionCookie!;
      await get(http.url, '/max-age?value=100', id);
      await sleep(150);
      assert.equal((await get(http.url, '/get', id)).body.isNew, true);
    });

    it("expires browser-session entries (maxAge 'session') after memory.sessionTTL (300 ms here)", async () => {
      const id = (await get(http.url, '/set?n=1')).sessionCookie!;
      await get(http.url, '/max-age?value=session', id);
      assert.deepEqual((await get(http.url, '/get', id)).body.session, { n: '1' });
      await sleep(400);
      assert.equal((await get(http.url, '/get', id)).body.isNew, true);
    });

    it('does not warn in a single-process unittest app', () => {
      app.notExpectLog(MEMORY_WARNING, 'coreLogger');
    });
  });

  describe('boot warning', () => {
    afterEach(mm.restore);

    it('warns in the prod env', async () => {
      mm.env('prod');
      // keep $EGG_HOME (egg's prod root) inside the fixture; the logs go to the boot's own directory
      mm(process.env, 'EGG_HOME', baseDir('cookie'));
      const app = await bootApp('cookie', MEMORY_APP);
      try {
        assert.equal(app.config.env, 'prod');
        await waitForLogLine(app, MEMORY_WARNING);
      } finally {
        await app.close();
      }
    });

    it('warns with more than one worker', async () => {
      const app = await bootApp('cookie', MEMORY_APP, { workers: 2 });
      try {
        app.expectLog(MEMORY_WARNING, 'coreLogger');
      } finally {
        await app.close();
      }
    });
  });
});
