import assert from 'node:assert/strict';
import type { MockApplication } from '@eggjs/mock';
import type { BrowserContext, Page, Response } from 'playwright-core';
import { serve, type Served } from './helpers/http.js';
import {
  allStarted, bootExample, cookieIn, freshProfile, launchChromium, logIn, removeProfile, requireBrowser, type Chromium,
} from './helpers/browser.js';

// The example app with its default cookie store, in headless Chromium: what the browser really keeps.

async function views(page: Page): Promise<number> {
  return Number(await page.textContent('#views'));
}

describe('browser: example app with cookie sessions', function () {
  let app: MockApplication;
  let served: Served;
  let profile: string;
  let chromium: Chromium;
  let context: BrowserContext;
  let page: Page;

  before(async function () {
    if (!requireBrowser(this)) return;
    profile = freshProfile();
    await allStarted([
      bootExample().then(async booted => {
        app = booted;
        served = await serve(app.callback());
      }),
      launchChromium(profile).then(launched => { chromium = launched; }),
    ]);
    // one page for the whole file (a new one costs a second here); each test starts with no cookies
    context = await chromium.browser.newContext();
    page = await context.newPage();
  });
  after(async () => {
    await context?.close();
    await chromium?.close();
    removeProfile(profile);
    await served?.close();
    await app?.close();
  });
  beforeEach(() => context.clearCookies());

  it('logs in through the form; the visit counter survives reloads', async () => {
    await page.goto(served.url);
    assert.equal(page.url(), `${served.url}/login`, 'anonymous visitors are sent to the login form');
    await logIn(page, served.url);
    assert.equal(await views(page), 1);
    assert.equal(await page.textContent('.notice.info'), 'Welcome, alice!');
    await page.reload();
    assert.equal(await views(page), 2);
    assert.equal(await page.locator('.notice').count(), 0, 'the flash message showed once');
    await page.reload();
    await page.goto(served.url);
    assert.equal(await views(page), 4);
  });

  it('refuses a CSRF token from before the login after it (regenerate() rotates the secret)', async () => {
    await page.goto(`${served.url}/login`);
    const before = await page.inputValue('input[name=_csrf]');
    await logIn(page, served.url);
    const post = (token: string) => page.evaluate(async ([ url, csrf ]) => {
      const res = await fetch(url, { method: 'POST', body: new URLSearchParams({ _csrf: csrf }), redirect: 'manual' });
      return res.status;
    }, [ `${served.url}/devices/logout-others`, token ]);
    assert.equal(await post(before), 403, 'the token from the login page');
    const after = await page.inputValue('input[name=_csrf]');
    assert.notEqual(after, before);
    assert.notEqual(await post(after), 403, 'a token from a page after the login');
    await page.reload();
    assert.equal(await views(page), 2, 'still signed in');
  });

  it('keeps the session cookie away from page scripts (HttpOnly)', async () => {
    await logIn(page, served.url);
    const cookie = await cookieIn(context, served.url);
    assert.ok(cookie, 'the browser keeps the session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.match(cookie.value, /^v2\./, 'a sealed cookie');
    // document.cookie works on this page (it sees a cookie the page sets), but not the session's
    await page.evaluate(() => { document.cookie = 'probe=visible; path=/'; });
    const visible = await page.evaluate(() => document.cookie);
    assert.match(visible, /(^|; )probe=visible/);
    assert.doesNotMatch(visible, /EGG_SESS/);
    assert.ok(!visible.includes(cookie.value));
  });

  it('logout clears the signed-in session from the browser', async () => {
    await logIn(page, served.url);
    const signedIn = await cookieIn(context, served.url);
    assert.ok(signedIn);
    await Promise.all([ page.waitForURL(`${served.url}/login`), page.click('text=Log out') ]);
    assert.equal(await page.textContent('.notice.info'), 'You are logged out.');
    // the signed-in cookie is gone from the jar (what is left carried only the flash message)
    assert.notEqual((await cookieIn(context, served.url))?.value, signedIn.value);
    await page.goto(served.url);
    assert.equal(page.url(), `${served.url}/login`);
    assert.equal(await page.locator('.notice').count(), 0);
  });

  it('answers a tampered session cookie with a logged-out page, not an error', async () => {
    await logIn(page, served.url);
    const cookie = await cookieIn(context, served.url);
    assert.ok(cookie);
    // flip one character in the middle of the sealed value, and let the browser send it
    const at = Math.floor(cookie.value.length / 2);
    const tampered = cookie.value.slice(0, at) + (cookie.value[at] === 'A' ? 'B' : 'A') + cookie.value.slice(at + 1);
    await context.addCookies([{ ...cookie, value: tampered }]);
    assert.equal((await cookieIn(context, served.url))?.value, tampered);

    const statuses: number[] = [];
    const record = (response: Response) => statuses.push(response.status());
    page.on('response', record);
    app.mockLog();
    await page.goto(served.url).finally(() => page.off('response', record));
    assert.equal(page.url(), `${served.url}/login`);
    assert.equal(await page.textContent('h1'), 'Log in');
    assert.deepEqual(statuses, [ 302, 200 ]);
    app.expectLog(/\[session\]\[invalid\]/, 'coreLogger');
  });

  it('without "keep me logged in": a browser-session cookie that survives reloads, not a new context', async () => {
    await logIn(page, served.url, { remember: false });
    const cookie = await cookieIn(context, served.url);
    assert.ok(cookie);
    assert.equal(cookie.expires, -1, 'no Expires / Max-Age: the cookie ends with the browser session');
    await page.reload();
    assert.equal(await views(page), 2);

    // a new browser context starts with an empty cookie jar (for the browser restart, see browser-restart.test.ts)
    const other = await chromium.browser.newContext();
    try {
      const otherPage = await other.newPage();
      await otherPage.goto(served.url);
      assert.equal(otherPage.url(), `${served.url}/login`);
      assert.equal(await cookieIn(other, served.url), undefined);
    } finally {
      await other.close();
    }
  });

  it('with "keep me logged in": a cookie that expires in a day', async () => {
    await logIn(page, served.url, { remember: true });
    const cookie = await cookieIn(context, served.url);
    assert.ok(cookie);
    const inADay = Date.now() / 1000 + 24 * 3600;
    assert.ok(Math.abs(cookie.expires - inADay) < 60, `expires ${cookie.expires}, expected about ${inADay}`);
  });
});
