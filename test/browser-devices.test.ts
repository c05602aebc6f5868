import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { MockApplication } from '@eggjs/mock';
import type { BrowserContext, Page } from 'playwright-core';
import { serve, type Served } from './helpers/http.js';
import { requireRedis, startRedisServer, type RedisServer } from './helpers/redis.js';
import {
  allStarted, ARTIFACTS_DIR, bootExample, freshProfile, launchChromium, logIn, removeProfile, requireBrowser, type Chromium,
} from './helpers/browser.js';

// The example app with SESSION_STORE=redis: two browsers signed in as one user, seen from the devices page.

const LAPTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const PHONE_UA = 'Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0';
const DEVICES_SCREENSHOT = path.join(ARTIFACTS_DIR, 'devices.png');

describe('browser: your devices (SESSION_STORE=redis)', function () {
  let redis: RedisServer;
  let app: MockApplication;
  let served: Served;
  let profile: string;
  let chromium: Chromium;
  const contexts: BrowserContext[] = [];

  before(async function () {
    if (!requireBrowser(this) || !requireRedis(this)) return;
    profile = freshProfile();
    await allStarted([
      startRedisServer().then(async started => {
        redis = started;
        app = await bootExample({ SESSION_STORE: 'redis', REDIS_URL: `redis://127.0.0.1:${redis.port}` });
        served = await serve(app.callback());
      }),
      launchChromium(profile).then(launched => { chromium = launched; }),
    ]);
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await chromium?.close();
    removeProfile(profile);
    await served?.close();
    await app?.close();
    await redis?.stop();
  });

  async function device(userAgent: string): Promise<Page> {
    const context = await chromium.browser.newContext({ userAgent, viewport: { width: 900, height: 640 } });
    contexts.push(context);
    return context.newPage();
  }

  it('lists both browsers of the user; "log out everywhere else" logs the other one out', async () => {
    const laptop = await device(LAPTOP_UA);
    const phone = await device(PHONE_UA);
    await logIn(laptop, served.url);
    await logIn(phone, served.url);
    assert.match(await phone.textContent('h1') ?? '', /Hello, alice/);

    await Promise.all([ laptop.waitForURL(`${served.url}/devices`), laptop.click('text=Your devices') ]);
    assert.equal(await laptop.textContent('#device-count'), '2');
    const rows = laptop.locator('#devices tbody tr');
    assert.equal(await rows.count(), 2);
    const first = await rows.nth(0).innerText();
    const second = await rows.nth(1).innerText();
    assert.match(first, /Chrome 131 on Linux \(this device\)/);
    assert.match(first, /127\.0\.0\.1\s+just now\s+just now/);
    assert.match(second, /Firefox 133 on Android/);
    assert.doesNotMatch(second, /this device/);
    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    fs.rmSync(DEVICES_SCREENSHOT, { force: true });
    await laptop.screenshot({ path: DEVICES_SCREENSHOT, fullPage: true });
    assert.ok(fs.statSync(DEVICES_SCREENSHOT).size > 1000, 'a screenshot of the devices page');

    // the form posts with the page's CSRF token; this device stays signed in
    await Promise.all([ laptop.waitForURL(`${served.url}/devices`), laptop.click('text=Log out everywhere else') ]);
    assert.equal(await laptop.textContent('.notice.info'), 'Logged out 1 other device.');
    assert.equal(await laptop.textContent('#device-count'), '1');
    assert.match(await laptop.locator('#devices tbody tr').innerText(), /\(this device\)/);

    // the phone finds out on its next request
    await phone.reload();
    assert.equal(phone.url(), `${served.url}/login`);
    assert.equal(await phone.textContent('h1'), 'Log in');
    await laptop.goto(served.url);
    assert.match(await laptop.textContent('h1') ?? '', /Hello, alice/);
  });
});
