import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SessionControl } from '../../index.js';
import { Device } from './device.js';
import type { Served } from './http.js';

/** What the sign-in rules of session control need from a suite (filled in by its before hook). */
export interface SignInRulesSuite {
  http: Served;
  control: SessionControl;
}

/**
 * The rules on sign-in times under "log out everywhere" (README "Session control"), the same for cookie
 * sessions with session control and for store sessions: legit flows sign in every time, a request in
 * flight does not escape another device's revocation, a device signed out cannot sign out the other.
 * The suite's app serves test/fixtures/base/routes/sc.js.
 */
export function describeSignInRules(suite: SignInRulesSuite, userPrefix: string): void {
  let nextUser = 1;
  const newUser = () => `${userPrefix}-${nextUser++}`;

  async function signIn(user: string, userAgent: string): Promise<Device> {
    const device = new Device(suite.http.url, userAgent);
    assert.equal((await device.get(`/login?user=${user}`)).status, 200);
    assert.ok(device.sessionCookie, 'signed in: session cookie set');
    return device;
  }

  async function isSignedIn(device: Device, user: string): Promise<boolean> {
    const res = await device.get('/get');
    assert.equal(res.status, 200);
    return res.body.session.userId === user;
  }

  it('signing in and signing out the other devices in one request keeps this device signed in, every time', async () => {
    for (let i = 0; i < 20; i++) {
      const user = newUser();
      const phone = await signIn(user, 'Phone');
      const laptop = new Device(suite.http.url, 'Laptop');
      await laptop.get(`/login-then-others?user=${user}`);
      assert.equal(await isSignedIn(laptop, user), true, `try ${i}`);
      assert.equal(await isSignedIn(phone, user), false, `try ${i}`);
    }
  });

  it('a password reset link (everywhere out, then signed in here) signs in, every time', async () => {
    for (let i = 0; i < 20; i++) {
      const user = newUser();
      const phone = await signIn(user, 'Phone');
      const laptop = new Device(suite.http.url, 'Laptop');
      await laptop.get(`/reset-and-login?user=${user}`);
      assert.equal(await isSignedIn(laptop, user), true, `try ${i}`);
      assert.equal(await isSignedIn(phone, user), false, `try ${i}`);
    }
  });

  describe('a request in flight does not escape another device\'s "log out everywhere" by setting its user again', () => {
    for (const [ path, how ] of [
      [ '/slow-reassign?wait=400', 'after ctx.session = null, in a new session object' ],
      [ '/slow-switch-back?wait=400', 'after another user in between, saved' ],
    ]) {
      it(how, async () => {
        const user = newUser();
        const attacker = await signIn(user, 'Stolen');
        const victim = await signIn(user, 'Victim');
        await sleep(5);
        const slow = attacker.get(path);
        await sleep(100);
        await victim.get('/devices/all');
        assert.equal((await slow).status, 200);
        assert.equal(await isSignedIn(attacker, user), false);
      });
    }
  });


  it('of two devices signing each other out at the same moment, one stays signed in', async () => {
    for (let i = 0; i < 10; i++) {
      const user = newUser();
      const phone = await signIn(user, 'Phone');
      const laptop = await signIn(user, 'Laptop');
      await sleep(2);
      await Promise.all([ phone.get('/devices/others'), laptop.get('/devices/others') ]);
      const signedIn = [ await isSignedIn(phone, user), await isSignedIn(laptop, user) ];
      assert.equal(signedIn.filter(Boolean).length, 1, `try ${i}: ${signedIn}`);
    }
  });

  it('a device that signed the others out is still covered by a "log out everywhere" right after it', async () => {
    for (let i = 0; i < 10; i++) {
      const user = newUser();
      const laptop = await signIn(user, 'Laptop');
      await laptop.get('/devices/others');
      await suite.control.destroyAll(user);
      assert.equal(await isSignedIn(laptop, user), false, `try ${i}`);
    }
  });

  it('a password reset run from a signed-in device (everywhere out, then regenerate() and the user) keeps that device signed in', async () => {
    const user = newUser();
    const phone = await signIn(user, 'Phone');
    const laptop = await signIn(user, 'Laptop');
    await sleep(2);
    await laptop.get(`/reset-and-login?user=${user}`);
    assert.equal(await isSignedIn(laptop, user), true);
    assert.equal(await isSignedIn(phone, user), false);
  });

  it('a device logged out while its request ran cannot sign out the device that logged it out', async () => {
    const user = newUser();
    const stolen = await signIn(user, 'Stolen');
    const owner = await signIn(user, 'Owner');
    const slow = stolen.get('/slow-others?wait=400');
    await sleep(100);
    await owner.get('/devices/others');
    const late = await slow;
    assert.equal(late.status, 200);
    assert.equal(late.body.destroyed, 0);
    assert.equal(await isSignedIn(owner, user), true, 'the owner stays signed in');
    assert.equal(await isSignedIn(stolen, user), false);
  });
}
