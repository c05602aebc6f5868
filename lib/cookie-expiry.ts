import { MAX_COOKIE_LIFETIME } from './config.js';

/**
 * The server-side expiry of a cookie session about to be written. koa-session checks `_expire` on
 * every read but writes none for browser-session cookies (`maxAge: 'session'`): a copied cookie would
 * stay valid until the keys rotate. They get `sessionTTL` from this write (renewed whenever the
 * cookie is written again). No cookie is valid longer than browsers keep one (400 days), which is
 * also how long revocation records are kept.
 */
export function withServerExpiry(data: Record<string, unknown>, sessionTTL: number, now = Date.now()): Record<string, unknown> {
  if (data._session === true) {
    data._expire = now + sessionTTL;
  } else if (typeof data._expire === 'number' && data._expire > now + MAX_COOKIE_LIFETIME) {
    data._expire = now + MAX_COOKIE_LIFETIME;
  }
  return data;
}
