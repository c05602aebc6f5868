import type { Context } from 'egg';
import { parseJsonObject, type JsonObject } from '../json.js';

/** `acceptEncrypted`: egg-encrypted cookies too (`legacyEncryptedCookies`). */
export interface LegacySettings { key: string; acceptEncrypted: boolean; path?: string | null; domain?: string | null }

const STRICT_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/; // koa-session's encode output

export function decodeBase64Json(value: string): JsonObject | undefined {
  return parseJsonObject(Buffer.from(value, 'base64').toString('utf8'));
}

// @eggjs/session's cookie: signed (the `.sig` covers the name), or egg-encrypted if opted in. egg's `encrypt: true` (AES-256-CBC, no MAC) is
// malleable and binds no name, so decrypted text must be strict base64: a garbled block passes about once in 2^32 tries, where Node's lenient decoder
// would skip the garbage.
function readLegacy(ctx: Context, raw: string, { key, acceptEncrypted }: LegacySettings): JsonObject | undefined {
  const signed = ctx.cookies.get(key, { signed: true });
  if (signed === raw) return decodeBase64Json(signed);
  try {
    const decrypted = acceptEncrypted ? ctx.cookies.get(key, { encrypt: true, signed: false }) : undefined;
    return decrypted && STRICT_BASE64.test(decrypted) ? decodeBase64Json(decrypted) : undefined;
  } catch {} // a cookie egg cannot decrypt
}

/** A genuine @eggjs/session cookie's data, else undefined; its `.sig` is cleared (the sealed cookie replacing it needs none). */
export function verifyLegacyCookie(ctx: Context, raw: string, settings: LegacySettings): JsonObject | undefined {
  const data = readLegacy(ctx, raw, settings);
  if (data && !(typeof data._expire === 'number' && data._expire < Date.now())) {
    ctx.cookies.set(`${settings.key}.sig`, null, { signed: false, overwrite: true, path: settings.path ?? '/', domain: settings.domain ?? undefined });
  }
  return data;
}
