import type { Context } from 'egg';
import { Sealer } from './sealer.js';
import { OpenedCookieCache } from './opened-cache.js';
import { appTextOf, sessionText } from './session-text.js';
import { joinChunks } from './chunks.js';
import { decodeBase64Json, verifyLegacyCookie, type LegacySettings } from './legacy.js';
import { parseJsonObject, type JsonObject } from '../json.js';

/** A session cookie as read: its data, or (a string) a description of an unreadable cookie. `appText`: the app part's `JSON.stringify`, when
 * the text gives it (session-text.ts); `stale`: an older key's or a legacy cookie, re-written in the current format on this response. */
export interface OpenedCookie { data: JsonObject | string; appText?: string; stale?: boolean }

export interface CookieCodec {
  encode(hidden: JsonObject, app: JsonObject, appText: string): string;
  /** Chunks joined, legacy cookies verified; never throws. */
  open(ctx: Context, value: string): OpenedCookie;
}

// maxChunks 1: never split; encode/decode: the app's own koa-session ones
interface CodecSettings extends LegacySettings { keys: string[]; encrypt: boolean; upgradeLegacyCookies: boolean; maxChunks: number;
  encode?: (data: JsonObject) => string; decode?: (value: string) => unknown }

export const MISSING_KEYS = 'config.keys is empty or holds no usable key: session cookies (and egg\'s cookies at all) need at least one key ' +
  '(e.g. `config.keys = appInfo.name + "_<random>"`; list older keys after the newest to rotate)';

// egg's `config.keys`: "newest, older, ..."
export function appKeys(keys: unknown): string[] {
  return String(keys ?? '').split(',').map(key => key.trim()).filter(Boolean);
}

export function describeCookie(value: string): string {
  return value.length <= 200 ? value : `${value.slice(0, 200)}...(${value.length} chars)`;
}

export function createCookieCodec(settings: CodecSettings): CookieCodec {
  const { key, maxChunks, encode, decode } = settings;
  if (!settings.encrypt || encode || decode) {
    // @eggjs/session's base64 JSON (protected by egg's `.sig` cookie), or the app's own encode/decode
    return {
      encode: (hidden, app, appText) => encode ? encode({ ...app, ...hidden }) : Buffer.from(sessionText(hidden, appText)).toString('base64'),
      open(_ctx, value) {
        let data: unknown;
        try { data = decode ? decode(value) : decodeBase64Json(value); } catch {} // a throwing decode would answer 500: it reads as a bad cookie
        return { data: (data ?? describeCookie(value)) as JsonObject };
      },
    };
  }
  const sealer = new Sealer(settings.keys, key);
  const cache = new OpenedCookieCache();
  return {
    encode: (hidden, _app, appText) => sealer.seal(sessionText(hidden, appText)),
    open(ctx, value) {
      const whole = joinChunks(value, key, maxChunks, name => ctx.cookies.get(name, { signed: false }));
      if (whole === undefined) return { data: describeCookie(value) };
      if (!Sealer.isSealed(whole)) {
        const legacy = settings.upgradeLegacyCookies ? verifyLegacyCookie(ctx, whole, settings) : undefined;
        return legacy ? { data: legacy, stale: true } : { data: describeCookie(whole) };
      }
      const opened = cache.get(whole) ?? sealer.open(whole);
      const data = opened && parseJsonObject(opened.text);
      if (!data) return { data: describeCookie(whole) };
      cache.remember(whole, opened);
      return { data, appText: appTextOf(opened.text), stale: opened.keyIndex > 0 };
    },
  };
}
