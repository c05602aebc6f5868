import assert from 'node:assert/strict';
import type { MockApplication } from '@eggjs/mock';
import { serve, type Served } from './helpers/http.js';
import { allStarted, freshProfile, launchChromium, removeProfile, requireBrowser, type Chromium } from './helpers/browser.js';
import { bootApp } from './helpers/boot.js';
import { securityCookieApp } from './helpers/security.js';

/**
 * onCookieTooLarge 'split' in a real Chromium: a 10 KB session (over 13 KB sealed) lives in four
 * cookies that Chromium keeps (each within its 4096-byte limit), across a reload and a restart of
 * the browser on the same profile; shrinking the session clears the extra cookies.
 */
describe("browser: a 10 KB session split over cookies (onCookieTooLarge 'split')", function () {
  let app: MockApplication;
  let served: Served;
  let profile: string;
  let chromium: Chromium | undefined;

  before(async function () {
    if (!requireBrowser(this)) return;
    profile = freshProfile();
    await allStarted([
      (async () => {
        const { config, options } = securityCookieApp({ onCookieTooLarge: 'split' });
        app = await bootApp('cookie', config, options);
        served = await serve(app.callback());
      })(),
      launchChromium(profile).then(launched => { chromium = launched; }),
    ]);
  });
  after(async () => {
    await chromium?.close();
    removeProfile(profile);
    await served?.close();
    await app?.close();
  });

  const sessionCookies = async () => (await chromium!.profileContext.cookies(served.url))
    .filter(cookie => cookie.name === 'EGG_SESS' || cookie.name.startsWith('EGG_SESS.')).map(cookie => cookie.name).sort();
  const noteLength = async (page: import('playwright-core').Page) => {
    await page.goto(`${served.url}/note`);
    return JSON.parse(await page.textContent('body') ?? '{}');
  };

  it('survives a reload and a browser restart; shrinking it clears the extra cookies', async () => {
    const page = await chromium!.profileContext.newPage();
    await page.goto(`${served.url}/fill?length=10000`);
    assert.deepEqual(await sessionCookies(), [ 'EGG_SESS', 'EGG_SESS.1', 'EGG_SESS.2', 'EGG_SESS.3' ], 'Chromium kept every chunk');
    assert.deepEqual(await noteLength(page), { length: 10_000, isNew: false });
    await page.reload();
    assert.deepEqual(JSON.parse(await page.textContent('body') ?? '{}'), { length: 10_000, isNew: false }, 'after a reload');

    await chromium!.close();
    chromium = await launchChromium(profile);
    const reopened = await chromium.profileContext.newPage();
    assert.deepEqual(await noteLength(reopened), { length: 10_000, isNew: false }, 'after a browser restart');

    await reopened.goto(`${served.url}/fill?length=10`);
    assert.deepEqual(await sessionCookies(), [ 'EGG_SESS' ], 'the extra cookies are gone');
    assert.deepEqual(await noteLength(reopened), { length: 10, isNew: false });
  });
});
