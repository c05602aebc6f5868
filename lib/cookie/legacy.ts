import type { Context } from 'egg';
import { parseJsonObject, type JsonObject } from '../json.js';

/** @eggjs/session's cookie value: base64 JSON. */
export function decodeBase64Json(value: string): JsonObject | undefined {
  return parseJsonObject(Buffer.from(value, 'base64').toString('utf8'));
}

// koa-session's encode output: standard base64 of the JSON
const STRICT_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface LegacySettings {
  key: string;
  /** accept egg-encrypted cookies too (`legacyEncryptedCookies`) */
  acceptEncrypted: boolean;
  path?: string | null;
  domain?: string | null;
}

/**
 * Reads a cookie the way @eggjs/session wrote it: signed (its default; the `.sig` covers the cookie
 * name), or egg-encrypted when the app opted in. egg's `encrypt: true` (AES-256-CBC, no MAC) is
 * malleable and binds no name, so a decrypted text must be strict base64: a garbled block passes
 * about once in 2^32 tries, where Node's lenient decoder would skip the garbage.
 */
function readLegacy(ctx: Context, raw: string, settings: LegacySettings): JsonObject | undefined {
  const signed = ctx.cookies.get(settings.key, { signed: true });
  if (signed !== undefined && signed === raw) return decodeBase64Json(signed);
  if (!settings.acceptEncrypted) return;
  try {
    const decrypted = ctx.cookies.get(settings.key, { encrypt: true, signed: false });
    return decrypted && STRICT_BASE64.test(decrypted) ? decodeBase64Json(decrypted) : undefined;
  } catch {
    return;
  }
}

/**
 * Verifies a cookie of @eggjs/session: a genuine one comes back as its data (its `.sig` cookie is
 * cleared, the sealed cookie that replaces it needs none); anything else as undefined.
 */
export function verifyLegacyCookie(ctx: Context, raw: string, settings: LegacySettings): JsonObject | undefined {
  const data = readLegacy(ctx, raw, settings);
  if (data && !(typeof data._expire === 'number' && data._expire < Date.now())) {
    ctx.cookies.set(`${settings.key}.sig`, null, {
      signed: false, overwrite: true, path: settings.path ?? '/', domain: settings.domain ?? undefined,
    });
  }
  return data;
}
