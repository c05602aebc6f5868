import type { Application, Context } from 'egg';
import type { ResolvedSessionConfig } from './config.js';
import { appKeys } from './app-keys.js';
import {
  createSealedCookieCodec, createSignedCookieCodec, describeCookie, LegacyCookie, type CookieCodec,
} from './cookie-codec.js';
import { isSessionShaped } from './codec/safe-json.js';
import { verifyLegacyCookie } from './legacy-cookie.js';
import { isSessionStore } from './store/validate.js';
import { assertSessionIdsCanBeTrusted, createSessionIdReader, type ExternalKey } from './session-id.js';
import { withServerExpiry } from './cookie-expiry.js';
import { StoreGuard } from './store/guard.js';
import { ControlledStore } from './control/store.js';
import { applyAbsoluteMaxAge, userOf } from './session-meta.js';
import type { SessionStore } from './types.js';
import type { CookieReader } from './request-session.js';
import { requestState } from './control/state.js';

type Decode = (value: string) => unknown;
type Valid = (ctx: Context, data: any) => unknown;

function userEncodeDecode(config: ResolvedSessionConfig): { encode?: CookieCodec['encode']; decode?: Decode } {
  return config as { encode?: CookieCodec['encode']; decode?: Decode };
}

function userCodec(config: ResolvedSessionConfig): CookieCodec | undefined {
  const { encode, decode } = userEncodeDecode(config);
  if (!encode && !decode) return;
  const fallback = createSignedCookieCodec();
  const safeDecode = (value: string): ReturnType<CookieCodec['decode']> => {
    // a throwing decode would answer 500: treat it as a bad cookie instead
    try {
      return (decode ?? fallback.decode)(value) as ReturnType<CookieCodec['decode']>;
    } catch {
      return describeCookie(value);
    }
  };
  return {
    encode: encode ? data => encode(data) : fallback.encode,
    decode: safeDecode,
    read: value => ({ data: safeDecode(value) }),
  };
}

/**
 * The cookie codec and signing the config asks for; see README "Cookie format". A custom genid's
 * ids are only trusted signed, so with one every session cookie is signed.
 */
function cookieCodec(config: ResolvedSessionConfig, app: Application): { codec: CookieCodec; signed: boolean } {
  const custom = userCodec(config);
  if (custom) return { codec: custom, signed: config.signed };
  if (config.encrypt) {
    // GCM authenticates the cookie itself: no `.sig` cookie, one HMAC less per request
    return { codec: createSealedCookieCodec(appKeys(app), config.key, config.upgradeLegacyCookies), signed: Boolean(config.genid) };
  }
  return { codec: createSignedCookieCodec(), signed: config.signed };
}

/** Whether the session cookie is sealed or signed with `config.keys`: boot needs usable keys then. */
export function cookieNeedsKeys(config: ResolvedSessionConfig): boolean {
  const { encode, decode } = userEncodeDecode(config);
  if (encode || decode) return config.signed;
  return config.encrypt || config.signed;
}

const guards = new WeakMap<SessionStore, ControlledStore>();

/** What koa-session uses for a store the app set: guarded (timeout, outage policy), with session control. */
function guardedStore(store: unknown, app: Application, config: ResolvedSessionConfig): ControlledStore | undefined {
  if (!isSessionStore(store)) return;
  let guard = guards.get(store);
  if (!guard) {
    guard = new ControlledStore(new StoreGuard(store, app, config.storeTimeout, config.onStoreError), app, config.absoluteMaxAge);
    guards.set(store, guard);
  }
  return guard;
}

// this plugin's own config keys (and `store`, which followAppSessionStore defines): koa-session copies
// its options for every request and egg's cookies copy them twice per cookie write, so they stay out
const PLUGIN_KEYS = new Set([
  'store', 'logValue', 'upgradeLegacyCookies', 'legacyEncryptedCookies', 'sessionTTL', 'rotateCsrfOnRegenerate', 'cookieSizeLimit', 'onCookieTooLarge', 'maxCookieChunks',
  'storeTimeout', 'onStoreError', 'absoluteMaxAge', 'userKey', 'maxSessionsPerUser', 'control', 'redis', 'memory',
]);

function withoutPluginKeys(config: ResolvedSessionConfig): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [ key, value ] of Object.entries(config)) {
    if (!PLUGIN_KEYS.has(key)) options[key] = value;
  }
  return options;
}

/**
 * Turns `config.session` into koa-session options, and the reader of session cookies. Cookie
 * options (sameSite, partitioned, domain, ...) are passed on as they are; egg's cookie `encrypt`
 * is always off because the codec does the encryption.
 */
export function createKoaSessionOptions(config: ResolvedSessionConfig, app: Application): { options: Record<string, any>; readCookie: CookieReader } {
  const { codec, signed } = cookieCodec(config, app);
  if (config.onCookieTooLarge === 'split' && (!config.encrypt || userCodec(config))) {
    // only a sealed value is authenticated as a whole: a `.sig` covers the first chunk alone
    throw new TypeError('[egg-session-plus] config.session.onCookieTooLarge \'split\' needs sealed cookies: ' +
      'it cannot be used with encrypt: false or your own encode/decode');
  }
  const userValid = config.valid as Valid | undefined;
  const externalKey = config.externalKey as ExternalKey | undefined;
  assertSessionIdsCanBeTrusted({ key: config.key, genid: config.genid, externalKey, signed });
  const { sessionTTL, absoluteMaxAge, userKey } = config;
  const options: Record<string, any> = {
    ...withoutPluginKeys(config),
    encode: (data: Record<string, unknown>, appText?: string) => codec.encode(withServerExpiry(data, sessionTTL), appText),
    decode: codec.decode,
    signed,
    encrypt: false,
    externalKey: createSessionIdReader(app, { key: config.key, prefix: config.prefix, genid: config.genid, externalKey }),
    valid(ctx: Context, data: unknown) {
      // a string is our decode's description of a bad cookie; a LegacyCookie (a class instance) was not verified
      if (!isSessionShaped(data) || (userValid && !userValid(ctx, data))) return false;
      // a cookie session revoked by a "log out everywhere" (lib/control/revocation.ts)
      const state = requestState(ctx);
      if (state.revoked) return false;
      state.indexedUser = userOf(data, userKey);
      return true;
    },
  };
  const legacy = { acceptEncrypted: config.legacyEncryptedCookies, path: config.path as string | undefined, domain: config.domain as string | undefined };
  /** The one reading of a session cookie: opened, legacy cookies verified with the request, the absolute timeout applied. */
  const readCookie: CookieReader = (ctx, value) => {
    const decoded = codec.read(value);
    if (decoded.data instanceof LegacyCookie) {
      const verified = verifyLegacyCookie(ctx, options.key, decoded.data, legacy);
      if (!verified) return { data: decoded.data.toJSON() };
      decoded.data = verified;
    }
    applyAbsoluteMaxAge(decoded.data, absoluteMaxAge);
    return decoded;
  };
  return { options, readCookie };
}

/**
 * Makes `app.config.session.store` (what `app.sessionStore` sets, and boot's built-in store) a
 * property with one setter: each store an app sets is guarded once there and handed to koa-session's
 * options, so a request reads a plain `options.store`. Apps may replace the store at any time.
 */
export function followAppSessionStore(options: Record<string, any>, app: Application, config: ResolvedSessionConfig): void {
  const sessionConfig = app.config.session as { store?: unknown };
  let store = sessionConfig.store;
  const setStore = (value: unknown) => {
    store = value;
    options.store = guardedStore(value, app, config);
  };
  Object.defineProperty(sessionConfig, 'store', { enumerable: true, configurable: true, get: () => store, set: setStore });
  setStore(store);
}
