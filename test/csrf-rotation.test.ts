import assert from 'node:assert/strict';
import { mm, type MockApplication } from '@eggjs/mock';
import { request } from '@eggjs/supertest';
import { bootApp } from './helpers/boot.js';
import { securityCookieApp } from './helpers/security.js';

/** A `Cookie` header holding the cookies `setCookie` set over those of `jar` (cleared ones dropped). */
function withCookies(jar: Map<string, string>, setCookie: unknown): Map<string, string> {
  const next = new Map(jar);
  for (const line of [ setCookie ?? [] ].flat() as string[]) {
    const [ pair ] = line.split(';');
    const at = pair.indexOf('=');
    const name = pair.slice(0, at);
    const value = pair.slice(at + 1);
    if (value) next.set(name, value);
    else next.delete(name);
  }
  return next;
}

const header = (jar: Map<string, string>) => [ ...jar ].map(([ name, value ]) => `${name}=${value}`).join('; ');

async function boot(session: Record<string, unknown>): Promise<MockApplication> {
  const { config, options } = securityCookieApp(session, { csrf: true });
  return bootApp('cookie', config, options);
}

/** Gets a CSRF token, signs in with it, then posts with the token from before the sign-in and with a fresh one. */
async function signInAndReuseOldToken(app: MockApplication): Promise<{ oldTokenStatus: number; freshTokenStatus: number }> {
  const form = await request(app.callback()).get('/csrf').expect(200);
  const before = form.body.token as string;
  let jar = withCookies(new Map(), form.headers['set-cookie']);
  const signin = await request(app.callback()).post('/signin').set('Cookie', header(jar)).set('x-csrf-token', before).expect(200);
  jar = withCookies(jar, signin.headers['set-cookie']);
  const old = await request(app.callback()).post('/protected').set('Cookie', header(jar)).set('x-csrf-token', before);
  const page = await request(app.callback()).get('/csrf').set('Cookie', header(jar)).expect(200);
  assert.equal(page.body.userId, 'csrf-user', 'signed in');
  jar = withCookies(jar, page.headers['set-cookie']);
  const fresh = await request(app.callback()).post('/protected').set('Cookie', header(jar)).set('x-csrf-token', page.body.token);
  return { oldTokenStatus: old.status, freshTokenStatus: fresh.status };
}

describe('CSRF rotation on login: regenerate() rotates egg\'s CSRF secret', () => {
  afterEach(mm.restore);

  it('a token learned before the login is refused after it (403); a token from after works', async () => {
    const app = await boot({});
    try {
      assert.deepEqual(await signInAndReuseOldToken(app), { oldTokenStatus: 403, freshTokenStatus: 200 });
    } finally {
      await app.close();
    }
  });

  it('rotateCsrfOnRegenerate: false keeps the secret (the old token still works)', async () => {
    const app = await boot({ rotateCsrfOnRegenerate: false });
    try {
      assert.deepEqual(await signInAndReuseOldToken(app), { oldTokenStatus: 200, freshTokenStatus: 200 });
    } finally {
      await app.close();
    }
  });
});
