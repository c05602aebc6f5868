import assert from 'node:assert/strict';
import { mm, type MockApplication } from '@eggjs/mock';
import type { BrowserContext, Page } from 'playwright-core';
import { serve, type Served } from './helpers/http.js';
import { allStarted, cookieIn, freshProfile, launchChromium, removeProfile, requireBrowser, type Chromium } from './helpers/browser.js';
import { bootApp } from './helpers/boot.js';

/**
 * A session grown past what a browser keeps in one cookie (name + value over 4096 bytes), with the
 * default cookieSizeLimit: 'warn' sends it and Chromium really drops it; 'error' answers an error and
 * leaves the browser's previous cookie alone. A 4000-character note seals to a cookie over 5000 bytes.
 */
const NOTE = 4000;

async function text(page: Page, selector: string): Promise<string> {
  return (await page.textContent(selector)) ?? '';
}

interface RunningFixture {
  app: MockApplication;
  served: Served;
}

/** cookie-app with the default cookieSizeLimit (4093 bytes, what browsers keep) and `onCookieTooLarge` */
async function bootFixture(onCookieTooLarge: 'warn' | 'error'): Promise<RunningFixture> {
  const app = await bootApp('cookie', {
    keys: `br-size-${onCookieTooLarge}-app-key`,
    fixture: { routes: 'browser-size' },
    session: { onCookieTooLarge },
  });
  return { app, served: await serve(app.callback()) };
}

describe('browser: a session cookie over the size limit', function () {
  let warn: RunningFixture;
  let error: RunningFixture;
  let profile: string;
  let chromium: Chromium;
  let context: BrowserContext;
  let page: Page;

  before(async function () {
    if (!requireBrowser(this)) return;
    mm.consoleLevel('NONE'); // the 'error' test asserts the error in the log; it would print a stack
    profile = freshProfile();
    await allStarted([
      bootFixture('warn').then(fixture => { warn = fixture; }),
      bootFixture('error').then(fixture => { error = fixture; }),
      launchChromium(profile).then(launched => { chromium = launched; }),
    ]);
    context = await chromium.browser.newContext();
    page = await context.newPage();
  });
  after(async () => {
    await context?.close();
    await chromium?.close();
    removeProfile(profile);
    for (const fixture of [ warn, error ]) {
      await fixture?.served.close();
      await fixture?.app.close();
    }
    mm.restore();
  });
  beforeEach(() => context.clearCookies());

  it("onCookieTooLarge 'warn': the server sends the cookie, Chromium drops it, the write is lost", async () => {
    const { app, served } = warn;
    await page.goto(`${served.url}/login?user=alice`);
    const before = await cookieIn(context, served.url);
    assert.ok(before, 'a small session cookie is kept');

    app.mockLog();
    const response = await page.goto(`${served.url}/note?length=${NOTE}`);
    assert.equal(response?.status(), 200);
    assert.equal(await text(page, '#note-length'), String(NOTE), 'the handler saw its note');
    const sent = (await response!.headerValue('set-cookie'))?.split('\n').find(line => line.startsWith('EGG_SESS='));
    assert.ok(sent && sent.length > 4096, `the response carried a ${sent?.length}-byte session cookie`);
    app.expectLog(/\[session\]\[too-large\] key\(EGG_SESS\) size\(\d+\) limit\(4093\)/, 'coreLogger');

    // Chromium kept the previous cookie: the note never reached it, and the next request shows it is gone
    assert.equal((await cookieIn(context, served.url))?.value, before.value);
    await page.goto(served.url);
    assert.equal(await text(page, '#user'), 'alice');
    assert.equal(await text(page, '#note-length'), '0');
  });

  it("onCookieTooLarge 'warn': a too-large first cookie never lands, the user is logged out", async () => {
    const { served } = warn;
    await page.goto(`${served.url}/login?user=alice&note=${NOTE}`);
    assert.equal(await text(page, '#user'), 'alice', 'signed in, in this response only');
    assert.equal(await cookieIn(context, served.url), undefined, "the browser's cookie jar has no session cookie");
    await page.goto(served.url);
    assert.equal(await text(page, '#user'), 'anonymous');
  });

  it("onCookieTooLarge 'error': a clear error instead, and the browser keeps the user signed in", async () => {
    const { app, served } = error;
    await page.goto(`${served.url}/login?user=alice`);
    const before = await cookieIn(context, served.url);
    assert.ok(before);

    app.mockLog();
    // asserted in egg's error log below; koa would also print its stack (it has no 'error' listener)
    mm(app, 'silent', true);
    const response = await page.goto(`${served.url}/note?length=${NOTE}`);
    assert.equal(response?.status(), 500);
    assert.match(await page.textContent('body') ?? '', /Session cookie "EGG_SESS" is \d+ bytes, over cookieSizeLimit 4093 bytes/);
    assert.ok(!(await response!.headerValue('set-cookie'))?.includes('EGG_SESS='), 'the error response sets no session cookie');
    app.expectLog(/SessionCookieTooLargeError: Session cookie "EGG_SESS" is \d+ bytes/, 'errorLogger');

    assert.equal((await cookieIn(context, served.url))?.value, before.value);
    await page.goto(served.url);
    assert.equal(await text(page, '#user'), 'alice');
    assert.equal(await text(page, '#note-length'), '0');
  });
});
