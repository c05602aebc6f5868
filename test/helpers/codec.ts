import { createCookieCodec, type OpenedCookie } from '../../lib/cookie/codec.js';

/** A context with no other cookies: what a codec reads besides the value it is given. */
const NO_COOKIES = { cookies: { get: () => undefined, set: () => undefined } } as any;

/**
 * The sealed cookie codec of an app with `keys` and cookie name `key`, on plain session objects:
 * `encode` splits the hidden `_` keys from the app data as the owner does; `open` reads a value.
 */
export function sealedCodec(keys: string[], key = 'EGG_SESS', upgradeLegacyCookies = false) {
  const codec = createCookieCodec({ keys, key, encrypt: true, upgradeLegacyCookies, acceptEncrypted: false, maxChunks: 1 });
  return {
    encode(data: Record<string, unknown>): string {
      const hidden = Object.fromEntries(Object.entries(data).filter(([ name ]) => name.startsWith('_')));
      const app = Object.fromEntries(Object.entries(data).filter(([ name ]) => !name.startsWith('_')));
      return codec.encode(hidden, app, JSON.stringify(app));
    },
    open: (value: string): OpenedCookie => codec.open(NO_COOKIES, value),
    decode: (value: string): unknown => codec.open(NO_COOKIES, value).data,
  };
}

/** @eggjs/session's format (`encrypt: false`). */
export function signedCodec() {
  const codec = createCookieCodec({ keys: [], key: 'EGG_SESS', encrypt: false, upgradeLegacyCookies: false, acceptEncrypted: false, maxChunks: 1 });
  return {
    encode: (data: Record<string, unknown>) => codec.encode({}, data, JSON.stringify(data)),
    decode: (value: string) => codec.open(NO_COOKIES, value).data,
  };
}
