import assert from 'node:assert/strict';

/** One `Set-Cookie` line, parsed: name, value and lower-cased attributes (flags map to true). */
export interface SetCookie {
  name: string;
  value: string;
  attrs: Record<string, string | true>;
  line: string;
}

interface HasHeaders {
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

/** Every Set-Cookie line for `name`, in header order. */
export function setCookiesNamed(res: HasHeaders, name: string): SetCookie[] {
  return setCookieLines(res).map(parseSetCookie).filter(cookie => cookie.name === name);
}

/** The single Set-Cookie for `name`; fails when there is none or more than one. */
export function setCookie(res: HasHeaders, name = 'EGG_SESS'): SetCookie {
  const found = setCookiesNamed(res, name);
  assert.equal(found.length, 1, `expected one Set-Cookie for ${name}, got: ${JSON.stringify(setCookieLines(res))}`);
  return found[0];
}

/** A `Cookie` request header carrying back every non-empty cookie the response set. */
export function cookieHeader(res: HasHeaders): string {
  return setCookieLines(res).map(parseSetCookie)
    .filter(cookie => cookie.value)
    .map(cookie => `${cookie.name}=${cookie.value}`)
    .join('; ');
}

/** koa-session's removal: empty value, expired in 1970. */
export function assertCleared(cookie: SetCookie): void {
  assert.equal(cookie.value, '');
  assert.match(String(cookie.attrs.expires), /1970/);
}

/** Events are emitted in setImmediate and logged right after: let them run. */
export function nextTicks(): Promise<void> {
  return new Promise(resolve => setImmediate(() => setImmediate(resolve)));
}

export const CHROME_120 = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
export const CHROME_100 = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/100.0.0.0 Safari/537.36';
