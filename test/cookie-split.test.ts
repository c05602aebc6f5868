import assert from 'node:assert/strict';
import { mm, type MockApplication } from '@eggjs/mock';
import { request } from '@eggjs/supertest';
import { bootApp } from './helpers/boot.js';
import { securityCookieApp } from './helpers/security.js';

const LIMIT = 4093;

interface Line {
  name: string;
  value: string;
  line: string;
}

function lines(res: { headers: Record<string, unknown> }): Line[] {
  return ([ res.headers['set-cookie'] ?? [] ].flat() as string[]).map(line => {
    const pair = line.split(';')[0];
    const at = pair.indexOf('=');
    return { name: pair.slice(0, at), value: pair.slice(at + 1), line };
  });
}

const header = (chunks: Line[]) => chunks.map(({ name, value }) => `${name}=${value}`).join('; ');

async function boot(session: Record<string, unknown>): Promise<MockApplication> {
  const { config, options } = securityCookieApp(session);
  return bootApp('cookie', config, options);
}

function nextInvalid(app: MockApplication): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no session:invalid')), 2000);
    app.once('session:invalid', payload => {
      clearTimeout(timer);
      resolve(payload);
    });
  });
}

describe("sessions larger than one cookie: onCookieTooLarge 'split'", () => {
  let app: MockApplication;
  before(async () => {
    mm.consoleLevel('NONE');
    app = await boot({ onCookieTooLarge: 'split' });
  });
  after(async () => {
    await app?.close();
    mm.restore();
  });

  async function bigSession(length = 10_000): Promise<Line[]> {
    const res = await request(app.callback()).get(`/fill?length=${length}`).expect(200);
    // the first chunk first, as a browser may send them in any order anyway
    return lines(res).filter(line => line.name === 'EGG_SESS' || line.name.startsWith('EGG_SESS.'))
      .sort((a, b) => (a.name === 'EGG_SESS' ? -1 : b.name === 'EGG_SESS' ? 1 : a.name.localeCompare(b.name)));
  }

  it('sends a 10 KB session as numbered cookies, each within cookieSizeLimit, read back as one', async () => {
    const chunks = await bigSession();
    assert.deepEqual(chunks.map(chunk => chunk.name), [ 'EGG_SESS', 'EGG_SESS.1', 'EGG_SESS.2', 'EGG_SESS.3' ]);
    assert.match(chunks[0].value, /^s4\.v2\./);
    for (const chunk of chunks) assert.ok(Buffer.byteLength(chunk.line) <= LIMIT, `${chunk.name}: ${chunk.line.length} bytes`);
    const read = await request(app.callback()).get('/note').set('Cookie', header(chunks)).expect(200);
    assert.deepEqual(read.body, { length: 10_000, isNew: false });
  });

  it('a changed, dropped or reordered chunk is a fresh session with session:invalid, never a 500', async () => {
    const chunks = await bigSession();
    const flip = (value: string) => value.slice(0, 10) + (value[10] === 'A' ? 'B' : 'A') + value.slice(11);
    const variants: Array<[string, Line[]]> = [
      [ 'changed', chunks.map((chunk, i) => (i === 2 ? { ...chunk, value: flip(chunk.value) } : chunk)) ],
      [ 'dropped', chunks.filter((_, i) => i !== 2) ],
      [ 'reordered', chunks.map((chunk, i) => (i === 1 ? { ...chunk, value: chunks[2].value } : i === 2 ? { ...chunk, value: chunks[1].value } : chunk)) ],
      [ 'first chunk alone', chunks.slice(0, 1) ],
      [ 'a count past maxCookieChunks', [ { ...chunks[0], value: chunks[0].value.replace(/^s4\./, 's9.') }, ...chunks.slice(1) ] ],
    ];
    for (const [ label, cookies ] of variants) {
      const invalid = nextInvalid(app);
      const res = await request(app.callback()).get('/note').set('Cookie', header(cookies));
      assert.equal(res.status, 200, label);
      assert.deepEqual(res.body, { length: 0, isNew: true }, label);
      await invalid;
    }
  });

  it('a genuine sealed value split into more chunks than maxCookieChunks, every chunk sent, is a fresh session with session:invalid', async () => {
    const chunks = await bigSession();
    const sealed = chunks[0].value.replace(/^s4\./, '') + chunks.slice(1).map(chunk => chunk.value).join('');
    assert.match(sealed, /^v2\.[A-Za-z0-9_-]+$/, 'the joined value is one sealed cookie');
    /** `sealed` cut into `count` cookies as the writer cuts it: `s<count>.` on the first, EGG_SESS.1… after it */
    const splitInto = (count: number): Line[] => {
      const size = Math.ceil(sealed.length / count);
      return Array.from({ length: count }, (_, i) => ({
        name: i === 0 ? 'EGG_SESS' : `EGG_SESS.${i}`,
        value: (i === 0 ? `s${count}.` : '') + sealed.slice(i * size, (i + 1) * size),
        line: '',
      }));
    };
    // within the bound (maxCookieChunks 4) the same value in 3 chunks is the session: the cutting is sound
    assert.deepEqual((await request(app.callback()).get('/note').set('Cookie', header(splitInto(3))).expect(200)).body,
      { length: 10_000, isNew: false });
    for (const count of [ 5, 8, 12 ]) {
      const invalid = nextInvalid(app);
      const res = await request(app.callback()).get('/note').set('Cookie', header(splitInto(count)));
      assert.equal(res.status, 200, `${count} chunks`);
      assert.deepEqual(res.body, { length: 0, isNew: true }, `${count} chunks`);
      await invalid;
    }
  });

  it('ignores a chunk left over past the count, and shrinking the session clears the extra cookies', async () => {
    const chunks = await bigSession();
    const stale = { name: 'EGG_SESS.7', value: 'junk', line: '' };
    assert.deepEqual((await request(app.callback()).get('/note').set('Cookie', header([ ...chunks, stale ])).expect(200)).body,
      { length: 10_000, isNew: false });
    const small = await request(app.callback()).get('/fill?length=10').set('Cookie', header([ ...chunks, stale ])).expect(200);
    const set = lines(small);
    const own = set.find(line => line.name === 'EGG_SESS')!;
    assert.match(own.value, /^v2\./, 'one cookie again, not split');
    const cleared = set.filter(line => line.name.startsWith('EGG_SESS.') && line.value === '').map(line => line.name).sort();
    assert.deepEqual(cleared, [ 'EGG_SESS.1', 'EGG_SESS.2', 'EGG_SESS.3', 'EGG_SESS.7' ]);
    assert.deepEqual((await request(app.callback()).get('/note').set('Cookie', `EGG_SESS=${own.value}`).expect(200)).body, { length: 10, isNew: false });
  });

  it('logout clears every chunk', async () => {
    const chunks = await bigSession();
    const res = await request(app.callback()).get('/logout').set('Cookie', header(chunks));
    const cleared = lines(res).filter(line => line.value === '').map(line => line.name).sort();
    assert.deepEqual(cleared, [ 'EGG_SESS', 'EGG_SESS.1', 'EGG_SESS.2', 'EGG_SESS.3' ]);
  });

  it("past maxCookieChunks the env's error/warn policy applies ('error' in unittest: a clear 500, old cookies kept)", async () => {
    const res = await request(app.callback()).get('/fill?length=20000');
    assert.equal(res.status, 500);
    assert.deepEqual(lines(res).filter(line => line.name.startsWith('EGG_SESS')), []);
  });
});
