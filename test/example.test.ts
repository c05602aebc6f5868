import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mm, type MockApplication } from '@eggjs/mock';
import { TestAgent } from '@eggjs/supertest';

// The example app (`npm run example`) booted from its own directory, on the plugin's TS source.
const exampleDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'example');

function csrfToken(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  assert.ok(token, 'the page must carry a _csrf field');
  return token;
}

function sessionCookie(res: { headers: Record<string, unknown> }): string | undefined {
  const cookies = (res.headers['set-cookie'] ?? []) as string[];
  return cookies.find(c => c.startsWith('EGG_SESS='));
}

async function logIn(agent: TestAgent, form: Record<string, string>) {
  const page = await agent.get('/login').expect(200);
  return agent.post('/login').type('form').send({ _csrf: csrfToken(page.text), ...form });
}

describe('example app (cookie sessions)', () => {
  let app: MockApplication;
  before(async () => {
    mm.consoleLevel('NONE'); // the CSRF test makes egg print a ForbiddenError stack; it is asserted below
    app = mm.app({ baseDir: exampleDir });
    await app.ready();
  });
  after(() => app.close());
  afterEach(mm.restore);

  it('sends anonymous visitors to the login form without creating a session', async () => {
    const agent = new TestAgent(app.callback());
    const res = await agent.get('/').expect(302).expect('location', '/login');
    assert.equal(sessionCookie(res), undefined);
  });

  it('rejects a login POST without the CSRF token', async () => {
    app.mockLog();
    const agent = new TestAgent(app.callback());
    await agent.get('/login').expect(200);
    await agent.post('/login').type('form').send({ name: 'alice', password: 'wonderland' }).expect(403);
    app.expectLog(/invalid csrf token/);
  });

  it('answers 401 with the form again for wrong credentials', async () => {
    const agent = new TestAgent(app.callback());
    const res = await logIn(agent, { name: 'alice', password: 'nope' });
    assert.equal(res.status, 401);
    assert.match(res.text, /Wrong username or password/);
    assert.equal(sessionCookie(res), undefined);
  });

  it('logs in, counts visits across requests, logs out through the real forms', async () => {
    const agent = new TestAgent(app.callback());
    const login = await logIn(agent, { name: 'alice', password: 'wonderland', remember: '1' });
    assert.equal(login.status, 302);
    assert.equal(login.headers.location, '/');
    const cookie = sessionCookie(login);
    assert.match(cookie ?? '', /^EGG_SESS=v1\.[^;]+;.*max-age=86400;.*httponly/i);

    const first = await agent.get('/').expect(200);
    assert.match(first.text, /Hello, alice/);
    assert.match(first.text, /<strong id="views">1<\/strong>/);
    const second = await agent.get('/').expect(200);
    assert.match(second.text, /<strong id="views">2<\/strong>/);

    const logout = await agent.post('/logout').type('form').send({ _csrf: csrfToken(second.text) });
    assert.equal(logout.status, 302);
    assert.equal(logout.headers.location, '/login');
    assert.match(sessionCookie(logout) ?? '', /^EGG_SESS=;.*expires=Thu, 01 Jan 1970/);
    await agent.get('/').expect(302).expect('location', '/login');
  });

  it('without "keep me logged in" sets a browser-session cookie (no expiry)', async () => {
    const agent = new TestAgent(app.callback());
    const login = await logIn(agent, { name: 'bob', password: 'builder' });
    assert.equal(login.status, 302);
    const cookie = sessionCookie(login) ?? '';
    assert.match(cookie, /^EGG_SESS=v1\./);
    assert.doesNotMatch(cookie, /expires=|max-age=/i);
    const home = await agent.get('/').expect(200);
    assert.match(home.text, /Hello, bob/);
  });
});
