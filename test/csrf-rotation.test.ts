import assert from 'node:assert/strict';
import { mm, type MockApplication } from '@eggjs/mock';
import { request } from '@eggjs/supertest';
import { bootApp, type StoreName } from './helpers/boot.js';
import { holdSlowRequest, inFlight, securityCookieApp, within } from './helpers/security.js';

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

/** The security tests' cookie app with CSRF on; `store` names an app store test/fixtures/base/stores.js installs. */
async function boot(session: Record<string, unknown>, store?: StoreName): Promise<MockApplication> {
  const { config, options } = securityCookieApp(session, { csrf: true });
  return bootApp('cookie', store ? { ...config, fixture: { ...config.fixture, store } } : config, options);
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

describe('CSRF rotation when regenerate() finds its session destroyed meanwhile (a logout overtook the login)', () => {
  afterEach(mm.restore);

  // a built-in store answers whether its destroy found the session; an app's store is asked with get() first
  const stores: Array<{ label: string; session: Record<string, unknown>; appStore?: StoreName }> = [
    { label: "store 'memory'", session: { store: 'memory' } },
    { label: "an app's own store (app.sessionStore)", session: {}, appStore: 'map' },
  ];
  for (const { label, session, appStore } of stores) {
    it(`${label}: the login goes on with a fresh session and a new secret: a token from before it is refused (403)`, async () => {
      const app = await boot(session, appStore);
      try {
        // a visitor with a store session and a CSRF token for the login form
        let jar = withCookies(new Map(), (await request(app.callback()).get('/set?cart=1').expect(200)).headers['set-cookie']);
        assert.ok(jar.has('EGG_SESS'), 'a store session');
        const form = await request(app.callback()).get('/csrf').set('Cookie', header(jar)).expect(200);
        const before = form.body.token as string;
        jar = withCookies(jar, form.headers['set-cookie']);

        // the login passed the CSRF check and loaded the session; a logout (another tab) destroys it meanwhile
        const { arrival, release } = holdSlowRequest(app);
        const signin = inFlight(request(app.callback()).post('/slow-signin').set('Cookie', header(jar)).set('x-csrf-token', before)
          .then(res => res));
        let loggedOut: unknown;
        try {
          await within(arrival, 5000, 'the login did not load its session');
          loggedOut = (await request(app.callback()).get('/logout').set('Cookie', header(jar)).expect(200)).headers['set-cookie'];
        } finally {
          release();
        }
        const login = await signin;
        assert.ok(!(login instanceof Error), String(login));
        assert.equal(login.status, 200, login.text);
        assert.deepEqual(login.body, { userId: 'csrf-user' });
        jar = withCookies(withCookies(jar, loggedOut), login.headers['set-cookie']);

        const page = await request(app.callback()).get('/csrf').set('Cookie', header(jar)).expect(200);
        assert.equal(page.body.userId, 'csrf-user', 'signed in on the fresh session');
        const old = await request(app.callback()).post('/protected').set('Cookie', header(jar)).set('x-csrf-token', before);
        assert.equal(old.status, 403, 'the token from before the login');
        jar = withCookies(jar, page.headers['set-cookie']);
        const fresh = await request(app.callback()).post('/protected').set('Cookie', header(jar)).set('x-csrf-token', page.body.token);
        assert.equal(fresh.status, 200, 'a token from after the login');
      } finally {
        await app.close();
      }
    });
  }
});

describe('regenerateOnSignIn: a sign-in without regenerate() moves the session to a new id and CSRF secret', () => {
  afterEach(mm.restore);

  /** A visitor's session (a cart) and a CSRF token, then a sign-in that only sets the user (GET /set?userId=…: no regenerate()). */
  async function signInWithoutRegenerate(app: MockApplication) {
    let jar = withCookies(new Map(), (await request(app.callback()).get('/set?cart=1').expect(200)).headers['set-cookie']);
    const visitor = jar.get('EGG_SESS');
    assert.ok(visitor, 'the visitor has a session');
    const form = await request(app.callback()).get('/csrf').set('Cookie', header(jar)).expect(200);
    jar = withCookies(jar, form.headers['set-cookie']);
    const signin = await request(app.callback()).get('/set?userId=csrf-user').set('Cookie', header(jar)).expect(200);
    jar = withCookies(jar, signin.headers['set-cookie']);
    const old = await request(app.callback()).post('/protected').set('Cookie', header(jar)).set('x-csrf-token', form.body.token);
    const page = await request(app.callback()).get('/csrf').set('Cookie', header(jar)).expect(200);
    assert.equal(page.body.userId, 'csrf-user', 'signed in');
    jar = withCookies(jar, page.headers['set-cookie']);
    const fresh = await request(app.callback()).post('/protected').set('Cookie', header(jar)).set('x-csrf-token', page.body.token);
    assert.equal(fresh.status, 200, 'a token from after the sign-in works');
    return { visitor, signedIn: jar.get('EGG_SESS'), oldTokenStatus: old.status };
  }

  it("store 'memory': the signed-in session has a new id (the visitor's id is dead) and a token from before is refused (403)", async () => {
    const app = await boot({ store: 'memory' });
    try {
      const { visitor, signedIn, oldTokenStatus } = await signInWithoutRegenerate(app);
      assert.notEqual(signedIn, visitor, 'an id known before the sign-in never becomes a signed-in one');
      const replay = await request(app.callback()).get('/get').set('Cookie', `EGG_SESS=${visitor}`).expect(200);
      assert.deepEqual(replay.body, { session: {}, isNew: true }, 'the visitor\'s id leads nowhere');
      assert.equal(oldTokenStatus, 403);
    } finally {
      await app.close();
    }
  });

  it('cookie sessions: a token from before the sign-in is refused (403)', async () => {
    const app = await boot({});
    try {
      assert.equal((await signInWithoutRegenerate(app)).oldTokenStatus, 403);
    } finally {
      await app.close();
    }
  });

  it('regenerateOnSignIn: false keeps the id and the secret', async () => {
    const app = await boot({ store: 'memory', regenerateOnSignIn: false });
    try {
      const { visitor, signedIn, oldTokenStatus } = await signInWithoutRegenerate(app);
      assert.equal(signedIn, visitor);
      assert.equal(oldTokenStatus, 200);
    } finally {
      await app.close();
    }
  });
});
