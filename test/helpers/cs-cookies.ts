import assert from 'node:assert/strict';
import type { MockApplication } from '@eggjs/mock';

/** The part of a supertest response these helpers read. */
export interface Response {
  headers: Record<string, unknown>;
}

/** One `Set-Cookie` line, split. */
export interface SetCookie {
  line: string;
  name: string;
  value: string;
  /** lower-cased attribute names; `true` for flags */
  attrs: Record<string, string | true>;
}

export function setCookies(res: Response): SetCookie[] {
  const header = res.headers['set-cookie'] as unknown as string[] | string | undefined;
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [ header ];
  return lines.map(line => {
    const [ pair, ...rest ] = line.split(/; */);
    const eq = pair.indexOf('=');
    const attrs: Record<string, string | true> = {};
    for (const attr of rest) {
      const at = attr.indexOf('=');
      if (at < 0) attrs[attr.toLowerCase()] = true;
      else attrs[attr.slice(0, at).toLowerCase()] = attr.slice(at + 1);
    }
    return { line, name: pair.slice(0, eq), value: pair.slice(eq + 1), attrs };
  });
}

/** The `Set-Cookie` line for `name`, or undefined. */
export function findCookie(res: Response, name = 'EGG_SESS'): SetCookie | undefined {
  return setCookies(res).find(cookie => cookie.name === name);
}

/** The `Set-Cookie` line for `name`; fails the test when there is none. */
export function sessionCookie(res: Response, name = 'EGG_SESS'): SetCookie {
  const cookie = findCookie(res, name);
  assert.ok(cookie, `expected a Set-Cookie for ${name}, got ${JSON.stringify(res.headers['set-cookie'])}`);
  return cookie;
}

/** True for the Set-Cookie that deletes a cookie (empty value, expires in 1970). */
export function isDeletion(cookie: SetCookie): boolean {
  return cookie.value === '' && String(cookie.attrs.expires).includes('1970');
}

/**
 * Resolves with the payload of the next `event` the app emits; rejects after `ms`.
 * koa-session emits on setImmediate, after the response may already be sent.
 */
export function nextEvent<T = any>(app: MockApplication, event: string, ms = 2000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      app.removeListener(event, onEvent);
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    function onEvent(payload: T) {
      clearTimeout(timer);
      resolve(payload);
    }
    app.once(event, onEvent);
  });
}

/** Fails if `app` emits `event` within `ms`. */
export async function noEvent(app: MockApplication, event: string, ms = 100): Promise<void> {
  let seen: unknown;
  const onEvent = (payload: unknown) => { seen = payload ?? true; };
  app.on(event, onEvent);
  await new Promise(resolve => setTimeout(resolve, ms));
  app.removeListener(event, onEvent);
  assert.equal(seen, undefined, `unexpected ${event}`);
}

/** Everything a prototype-pollution attempt could have changed on Object.prototype. */
export function objectPrototypeSnapshot(): string {
  return JSON.stringify(Reflect.ownKeys(Object.prototype).map(String).sort()) +
    JSON.stringify(Object.getOwnPropertyNames(Object.prototype).map(name => {
      const descriptor = Object.getOwnPropertyDescriptor(Object.prototype, name)!;
      return [ name, typeof descriptor.value, typeof descriptor.get, typeof descriptor.set ];
    }));
}

/** Base64url-decoded body of a `v2.` cookie. */
export function sealedBody(value: string): Buffer {
  assert.match(value, /^v2\.[A-Za-z0-9_-]+$/);
  return Buffer.from(value.slice(3), 'base64url');
}
