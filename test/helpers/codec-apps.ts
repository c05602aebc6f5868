import type { AppConfig, BootOptions } from './boot.js';

/** A cookie-app configuration: its config and the boot options it needs (a variant, plugin: false). */
export interface CookieAppSetup {
  config: AppConfig;
  options?: BootOptions;
}

const ROTATED_KEYS = 'cs-new-key,cs-old-key';
const basic = (keys: string, session?: Record<string, unknown>): AppConfig =>
  ({ keys, fixture: { routes: 'basic' }, ...(session ? { session } : {}) });
/** egg's built-in @eggjs/session (plugin: false keeps this package out) */
const upstream = (config: AppConfig): CookieAppSetup => ({ config, options: { plugin: false } });

/** The cookie-codec apps, all on cookie-app (routes test/fixtures/base/routes/sealed-cookies.js and basic.js). */
export const codecApps = {
  /** newest key first: it seals; the older one still opens cookies sealed before the rotation */
  sealed: (): CookieAppSetup => ({ config: { keys: ROTATED_KEYS, fixture: { routes: 'sealed-cookies' } } }),
  /** the same app before it rotated to cs-new-key */
  beforeRotation: (): CookieAppSetup => ({ config: basic('cs-old-key') }),
  /** every user of @eggjs/session starts over: no legacy cookie is read */
  noUpgrade: (): CookieAppSetup => ({ config: basic(ROTATED_KEYS, { upgradeLegacyCookies: false }) }),
  /** @eggjs/session's format: signed base64 JSON, readable by the client */
  plain: (): CookieAppSetup => ({ config: basic(ROTATED_KEYS, { encrypt: false }) }),
  noLog: (): CookieAppSetup => ({ config: basic('cs-nolog-key', { logValue: false }) }),
  /** config.keys set, but without one usable key */
  noKeys: (): CookieAppSetup => ({ config: { keys: ' , ' } }),
  /** onCookieTooLarge is left to the env default: 'error' in local and unittest, 'warn' elsewhere */
  size: (): CookieAppSetup => ({ config: basic('cs-size-key', { cookieSizeLimit: 1000 }) }),
  sizeWarn: (): CookieAppSetup => ({ config: basic('cs-size-key', { cookieSizeLimit: 1000, onCookieTooLarge: 'warn' }) }),
  /** the app's own cookie format: hex JSON behind a "hex:" tag (variant 'hex-codec'), unsigned */
  userCodec: (): CookieAppSetup => ({ config: basic('cs-codec-key', { signed: false }), options: { variant: 'hex-codec' } }),
  /** @eggjs/session with the sealed app's keys */
  upstream: () => upstream(basic(ROTATED_KEYS)),
  /** @eggjs/session with egg's AES-256-CBC cookie encryption (egg 3's default) */
  upstreamEncrypt: () => upstream(basic(ROTATED_KEYS, { encrypt: true })),
  /** @eggjs/session before the key rotation */
  upstreamBeforeRotation: () => upstream(basic('cs-old-key')),
};
