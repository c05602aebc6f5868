import type { Context } from 'egg';
import { Sealer } from './sealer.js';
import { OpenedCookieCache } from './opened-cache.js';
import { appTextOf, sessionText } from './session-text.js';
import { joinChunks } from './chunks.js';
import { decodeBase64Json, verifyLegacyCookie, type LegacySettings } from './legacy.js';
import { parseJsonObject, type JsonObject } from '../json.js';

/** A session cookie as read: its data, or (a string) a description of a cookie that could not be read. */
export interface OpenedCookie {
  data: JsonObject | string;
  /** `JSON.stringify` of the app's part, when the format gives it without a stringify (session-text.ts) */
  appText?: string;
  /** sealed with an older key, or a legacy cookie: re-written in the current format on this response */
  stale?: boolean;
}

export interface CookieCodec {
  /** The cookie value of a session: its hidden fields, its app data and that data's JSON. */
  encode(hidden: JsonObject, app: JsonObject, appText: string): string;
  /** The one reading of a session cookie (chunks joined, legacy cookies verified); never throws. */
  open(ctx: Context, value: string): OpenedCookie;
}

export interface CodecSettings {
  keys: string[];
  /** the cookie name: sealed values are bound to it */
  key: string;
  encrypt: boolean;
  upgradeLegacyCookies: boolean;
  legacy: LegacySettings;
  /** `onCookieTooLarge: 'split'`: how many cookies a session may be read from (1: never split) */
  maxChunks: number;
  /** the app's own `encode`/`decode` (koa-session options) */
  encode?: (data: JsonObject) => string;
  decode?: (value: string) => unknown;
}

const MAX_LOGGED_COOKIE = 200;

/** What `session:invalid` logs for a cookie that could not be read. */
export function describeCookie(value: string): string {
  return value.length <= MAX_LOGGED_COOKIE ? value : `${value.slice(0, MAX_LOGGED_COOKIE)}...(${value.length} chars)`;
}

export const MISSING_KEYS = 'config.keys is empty or holds no usable key: session cookies (and egg\'s cookies at all) need at least one key ' +
  '(e.g. `config.keys = appInfo.name + "_<random>"`; list older keys after the newest to rotate)';

/** egg's `config.keys` ("newest, older, ...") as a list; blank entries are no keys. */
export function appKeys(keys: unknown): string[] {
  return String(keys ?? '').split(',').map(key => key.trim()).filter(Boolean);
}

/** The app's own encode/decode: a throwing decode would answer 500, so it reads as a bad cookie. */
function userCodec(settings: CodecSettings): CookieCodec {
  const { encode, decode } = settings;
  return {
    encode: (hidden, app, appText) => encode ? encode({ ...app, ...hidden }) : Buffer.from(sessionText(hidden, appText)).toString('base64'),
    open(_ctx, value) {
      try {
        const data = decode ? decode(value) : decodeBase64Json(value);
        return { data: (data ?? describeCookie(value)) as JsonObject };
      } catch {
        return { data: describeCookie(value) };
      }
    },
  };
}

/** @eggjs/session's format (`encrypt: false`): base64 JSON, protected by egg's `.sig` cookie. */
function signedCodec(): CookieCodec {
  return {
    encode: (hidden, _app, appText) => Buffer.from(sessionText(hidden, appText)).toString('base64'),
    open: (_ctx, value) => ({ data: decodeBase64Json(value) ?? describeCookie(value) }),
  };
}

/**
 * AES-256-GCM sealed JSON (`v2.`), read from one or several cookies. A cookie that keeps coming back is
 * read from an OpenedCookieCache instead of being opened again; unsealed cookies are verified as
 * @eggjs/session's when `upgradeLegacyCookies` is on.
 */
function sealedCodec(settings: CodecSettings): CookieCodec {
  const sealer = new Sealer(settings.keys, settings.key);
  const cache = new OpenedCookieCache();
  const openSealed = (value: string): OpenedCookie => {
    const opened = cache.get(value) ?? sealer.open(value);
    const data = opened && parseJsonObject(opened.text);
    if (!data) return { data: describeCookie(value) };
    cache.remember(value, opened);
    return { data, appText: appTextOf(opened.text), stale: opened.keyIndex > 0 };
  };
  return {
    encode: (hidden, _app, appText) => sealer.seal(sessionText(hidden, appText)),
    open(ctx, value) {
      const whole = joinChunks(value, settings.key, settings.maxChunks, name => ctx.cookies.get(name, { signed: false }));
      if (whole === undefined) return { data: describeCookie(value) };
      if (Sealer.isSealed(whole)) return openSealed(whole);
      const legacy = settings.upgradeLegacyCookies ? verifyLegacyCookie(ctx, whole, settings.legacy) : undefined;
      return legacy ? { data: legacy, stale: true } : { data: describeCookie(whole) };
    },
  };
}

/** The codec the config asks for; see README "Cookie format". */
export function createCookieCodec(settings: CodecSettings): CookieCodec {
  if (settings.encode || settings.decode) return userCodec(settings);
  if (!settings.encrypt) return signedCodec();
  return sealedCodec(settings);
}
