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

/** Reads the cookie the way @eggjs/session wrote it: signed (its default) or egg-encrypted. */
function readLegacy(ctx: Context, key: string, cookie: LegacyCookie): JsonObject | undefined {
  const signed = ctx.cookies.get(key, { signed: true });
  if (signed !== undefined && signed === cookie.raw) return decodeBase64Json(signed);
  try {
    const decrypted = ctx.cookies.get(key, { encrypt: true, signed: false });
    return decrypted ? decodeDecrypted(decrypted) : undefined;
  } catch {
    return;
  }
}

/**
 * Verifies a cookie of @eggjs/session and, when it is genuine and unexpired, fills `cookie`
 * with its data and marks it for re-saving in the sealed format on this response.
 */
export function upgradeLegacyCookie(
  ctx: Context, key: string, cookie: LegacyCookie, cookieOptions: { path?: string | null; domain?: string | null },
): boolean {
  const data = readLegacy(ctx, key, cookie);
  if (!data) return false;
  if (typeof data._expire === 'number' && data._expire < Date.now()) return false;
  Object.assign(cookie, data, { _requireSave: true });
  // the sealed cookie needs no signature: drop the old one
  ctx.cookies.set(`${key}.sig`, null, {
    signed: false, overwrite: true, path: cookieOptions.path ?? '/', domain: cookieOptions.domain ?? undefined,
  });
  return true;
}
