import assert from 'node:assert/strict';
import type { MockApplication } from '@eggjs/mock';
import { serve, type Served } from './helpers/http.js';
import {
  allStarted, bootExample, cookieIn, freshProfile, launchChromium, logIn, removeProfile, requireBrowser, type Chromium,
} from './helpers/browser.js';

/**
 * `maxAge: 'session'` for real: Chromium is closed and started again on the same profile, as a user
 * closes and reopens the browser. The browser-session cookie must be gone and the "keep me logged in"
 * cookie must still be there (which shows the restart kept the profile's cookies at all).
 * Cookies are per host, not per port: the two logins use two host names for the same server.
 */
describe('browser: closing the browser ends a browser-session cookie', function () {
  let app: MockApplication;
  let served: Served;
  let profile: string;
  let chromium: Chromium | undefined;
  let sessionUrl: string;
  let rememberUrl: string;

  before(async function () {
    if (!requireBrowser(this)) return;
    profile = freshProfile();
    await allStarted([
      bootExample().then(async booted => {
        app = booted;
        served = await serve(app.callback());
        sessionUrl = served.url;
        rememberUrl = served.url.replace('127.0.0.1', 'localhost');
      }),
      launchChromium(profile).then(launched => { chromium = launched; }),
    ]);
  });
  after(async () => {
    await chromium?.close();
    removeProfile(profile);
    await served?.close();
    await app?.close();
  });

  it('keeps "keep me logged in" across a browser restart, and drops the browser-session login', async () => {
    assert.ok(chromium);
    const page = await chromium.profileContext.newPage();
    await logIn(page, sessionUrl, { name: 'alice', password: 'wonderland', remember: false });
    await page.reload();
    assert.match(await page.textContent('h1') ?? '', /Hello, alice/);
    assert.equal(await page.textContent('#views'), '2', 'the browser-session cookie survives a reload');
    await logIn(page, rememberUrl, { name: 'bob', password: 'builder', remember: true });
    assert.equal((await cookieIn(chromium.profileContext, sessionUrl))?.expires, -1);
    assert.ok(((await cookieIn(chromium.profileContext, rememberUrl))?.expires ?? -1) > Date.now() / 1000);

    await chromium.close();
    chromium = await launchChromium(profile);
    const reopened = await chromium.profileContext.newPage();

    assert.equal(await cookieIn(chromium.profileContext, sessionUrl), undefined, 'the browser-session cookie is gone');
    await reopened.goto(sessionUrl);
    assert.equal(reopened.url(), `${sessionUrl}/login`);

    await reopened.goto(rememberUrl);
    assert.equal(reopened.url(), `${rememberUrl}/`, 'the persistent cookie kept bob signed in');
    assert.match(await reopened.textContent('h1') ?? '', /Hello, bob/);
    assert.equal(await reopened.textContent('#views'), '2');
  });
});
