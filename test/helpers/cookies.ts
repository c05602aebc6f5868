import assert from 'node:assert/strict';

/** Reading a response's Set-Cookie lines in tests. */

/** One `Set-Cookie` line, parsed: name, value and lower-cased attributes (flags map to true). */
export interface SetCookie {
  name: string;
  value: string;
  attrs: Record<string, string | true>;
  line: string;
}

/** The part of a response these helpers read. */
export interface HasHeaders {
  headers: Record<string, unknown>;
}

export function setCookieLines(res: HasHeaders): string[] {
  const header = res.headers['set-cookie'];
  if (!header) return [];
  return Array.isArray(header) ? header as string[] : [ String(header) ];
}

export function parseSetCookie(line: string): SetCookie {
  const [ pair, ...parts ] = line.split(/;\s*/);
  const eq = pair.indexOf('=');
  const attrs: Record<string, string | true> = {};
  for (const part of parts) {
    const i = part.indexOf('=');
    if (i < 0) attrs[part.toLowerCase()] = true;
    else attrs[part.slice(0, i).toLowerCase()] = part.slice(i + 1);
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attrs, line };
}

/** Every Set-Cookie line, parsed, in header order. */
export function setCookies(res: HasHeaders): SetCookie[] {
  return setCookieLines(res).map(parseSetCookie);
}

/** Every Set-Cookie line for `name`, in header order. */
export function setCookiesNamed(res: HasHeaders, name: string): SetCookie[] {
  return setCookies(res).filter(cookie => cookie.name === name);
}

/** The first Set-Cookie line for `name`, or undefined. */
export function findCookie(res: HasHeaders, name = 'EGG_SESS'): SetCookie | undefined {
  return setCookies(res).find(cookie => cookie.name === name);
}

/** The first Set-Cookie line for `name`; fails the test when there is none. */
export function sessionCookie(res: HasHeaders, name = 'EGG_SESS'): SetCookie {
  const cookie = findCookie(res, name);
  assert.ok(cookie, `expected a Set-Cookie for ${name}, got ${JSON.stringify(res.headers['set-cookie'])}`);
  return cookie;
}

/** The single Set-Cookie for `name`; fails when there is none or more than one. */
export function setCookie(res: HasHeaders, name = 'EGG_SESS'): SetCookie {
  const found = setCookiesNamed(res, name);
  assert.equal(found.length, 1, `expected one Set-Cookie for ${name}, got: ${JSON.stringify(setCookieLines(res))}`);
  return found[0];
}

/** A `Cookie` request header carrying back every non-empty cookie the response set. */
export function cookieHeader(res: HasHeaders): string {
  return setCookies(res)
    .filter(cookie => cookie.value)
    .map(cookie => `${cookie.name}=${cookie.value}`)
    .join('; ');
}

/** True for koa-session's removal: empty value, expired in 1970. */
export function isDeletion(cookie: SetCookie): boolean {
  return cookie.value === '' && String(cookie.attrs.expires).includes('1970');
}

/** Fails unless `cookie` is koa-session's removal. */
export function assertCleared(cookie: SetCookie): void {
  assert.equal(cookie.value, '');
  assert.match(String(cookie.attrs.expires), /1970/);
}

/** Base64url-decoded body of a `v2.` cookie. */
export function sealedBody(value: string): Buffer {
  assert.match(value, /^v2\.[A-Za-z0-9_-]+$/);
  return Buffer.from(value.slice(3), 'base64url');
}

export const CHROME_120 = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
export const CHROME_100 = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/100.0.0.0 Safari/537.36';
