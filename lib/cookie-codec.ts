import { Sealer } from './codec/sealer.js';
import { OpenedCookieCache } from './codec/opened-cache.js';
import { parseJsonObject, type JsonObject } from './codec/safe-json.js';
import { appTextOf, sessionText } from './codec/session-text.js';

/**
 * A cookie that is not in the sealed format: maybe a signed cookie from `@eggjs/session`.
 * It can only be checked with the request (its `.sig` cookie), so `valid` does that.
 */
export class LegacyCookie {
  readonly #raw: string;

  constructor(raw: string) {
    this.#raw = raw;
  }

  get raw(): string {
    return this.#raw;
  }

  toJSON(): string {
    return describeCookie(this.#raw);
  }
}

export interface CookieCodec {
  /** `appText`: `JSON.stringify` of the session's app data (Session#toJSON), when the caller has it */
  encode(data: JsonObject, appText?: string): string;
  /**
   * Never throws. Returns the session object, a LegacyCookie to verify, or, for a bad cookie,
   * a short string describing it: koa-session's `valid` rejects it and emits `session:invalid`.
   */
  decode(value: string): JsonObject | LegacyCookie | string;
  /** `decode`, with the JSON text of the session's app data when the format carries it (see session-text.ts) */
  read(value: string): DecodedCookie;
}

export interface DecodedCookie {
  data: JsonObject | LegacyCookie | string;
  appText?: string;
}

/** A codec whose format gives no app text: `read` is `decode`. */
function withPlainRead(codec: Omit<CookieCodec, 'read'>): CookieCodec {
  return { ...codec, read: value => ({ data: codec.decode(value) }) };
}

const MAX_LOGGED_COOKIE = 200;

/** What `session:invalid` logs for a cookie that could not be read. */
export function describeCookie(value: string): string {
  if (value.length <= MAX_LOGGED_COOKIE) return value;
  return `${value.slice(0, MAX_LOGGED_COOKIE)}...(${value.length} chars)`;
}

export function decodeBase64Json(value: string): JsonObject | undefined {
  return parseJsonObject(Buffer.from(value, 'base64').toString('utf8'));
}

function encodeBase64Json(data: JsonObject): string {
  return Buffer.from(JSON.stringify(data)).toString('base64');
}

export const MISSING_KEYS = 'config.keys is empty or holds no usable key: sealed and signed session cookies need at least one key ' +
  '(e.g. `config.keys = appInfo.name + "_<random>"`; list older keys after the newest to rotate)';

/** Without keys nothing can be sealed or opened: a request that writes a session cookie fails, one that reads it starts fresh. */
function keylessCodec(): CookieCodec {
  return withPlainRead({
    encode() {
      throw new Error(`[egg-session-plus] cannot write the session cookie: ${MISSING_KEYS}`);
    },
    decode: describeCookie,
  });
}

/**
 * AES-256-GCM sealed JSON; optionally hands unsealed cookies on as LegacyCookie. A cookie that
 * keeps coming back is read from an OpenedCookieCache instead of being opened again.
 */
export function createSealedCookieCodec(appKeys: string[], cookieName: string, acceptLegacy: boolean): CookieCodec {
  if (!appKeys.length) return keylessCodec();
  const sealer = new Sealer(appKeys, cookieName);
  const cache = new OpenedCookieCache();
  const read = (value: string): DecodedCookie => {
    if (!Sealer.isSealed(value)) return { data: acceptLegacy ? new LegacyCookie(value) : describeCookie(value) };
    const opened = cache.get(value) ?? sealer.open(value);
    const data = opened && parseJsonObject(opened.text);
    if (!data) return { data: describeCookie(value) };
    cache.remember(value, opened);
    // sealed with an older key: koa-session re-saves a session that has `_requireSave`
    if (opened.keyIndex > 0) data._requireSave = true;
    return { data, appText: appTextOf(opened.text) };
  };
  return {
    encode: (data, appText) => sealer.seal(sessionText(data, appText)),
    decode: value => read(value).data,
    read,
  };
}

/** @eggjs/session's format: base64 JSON, protected by egg's `.sig` cookie. */
export function createSignedCookieCodec(): CookieCodec {
  return withPlainRead({
    encode: encodeBase64Json,
    decode: value => decodeBase64Json(value) ?? describeCookie(value),
  });
}
