import type { Context } from 'egg';
import { decodeBase64Json, type LegacyCookie } from './cookie-codec.js';
import type { JsonObject } from './codec/safe-json.js';

// koa-session's encode output: standard base64 of the JSON
const STRICT_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * egg's `encrypt: true` cookie (AES-256-CBC, no MAC) is malleable: flipping ciphertext bits garbles
 * one block and edits the next. Requiring the decrypted text to be strict base64 makes a garbled
 * block pass about once in 2^32 tries, where Node's lenient base64 decoder would skip the garbage.
 */
function decodeDecrypted(text: string): JsonObject | undefined {
  return STRICT_BASE64.test(text) ? decodeBase64Json(text) : undefined;
}

export interface LegacyCookieSettings {
  /** accept egg-encrypted cookies too (`legacyEncryptedCookies`) */
  acceptEncrypted: boolean;
  path?: string | null;
  domain?: string | null;
}

/**
 * Reads the cookie the way @eggjs/session wrote it: signed (its default), or egg-encrypted when the
 * app opted in. egg encrypts every cookie name with the same key and does not bind the name, so an
 * encrypted cookie could be any other encrypted cookie of the app whose value a client influenced.
 */
function readLegacy(ctx: Context, key: string, cookie: LegacyCookie, acceptEncrypted: boolean): JsonObject | undefined {
  const signed = ctx.cookies.get(key, { signed: true });
  if (signed !== undefined && signed === cookie.raw) return decodeBase64Json(signed);
  if (!acceptEncrypted) return;
  try {
    const decrypted = ctx.cookies.get(key, { encrypt: true, signed: false });
    return decrypted ? decodeDecrypted(decrypted) : undefined;
  } catch {
    return;
  }
}

/**
 * Verifies a cookie of @eggjs/session. A genuine one comes back as its data, marked for re-saving
 * in the sealed format on this response (its `.sig` cookie is cleared); anything else as undefined.
 * An expired one comes back with its `_expire`, for koa-session to report.
 */
export function verifyLegacyCookie(ctx: Context, key: string, cookie: LegacyCookie, settings: LegacyCookieSettings): JsonObject | undefined {
  const data = readLegacy(ctx, key, cookie, settings.acceptEncrypted);
  if (!data) return;
  if (typeof data._expire === 'number' && data._expire < Date.now()) return data;
  data._requireSave = true;
  // the sealed cookie needs no signature: drop the old one
  ctx.cookies.set(`${key}.sig`, null, {
    signed: false, overwrite: true, path: settings.path ?? '/', domain: settings.domain ?? undefined,
  });
  return data;
}
