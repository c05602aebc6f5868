import type { Application, Context } from 'egg';
import { PLUGIN_KEYS, type ResolvedSessionConfig } from '../config.js';
import { appKeys, createCookieCodec } from '../cookie/codec.js';
import { defaultCookieSizePolicy } from '../cookie/response.js';
import { assertSessionIdsCanBeTrusted, createSessionIdReader, type ExternalKey } from '../session-id.js';
import { koaContextSession } from './koa-base.js';
import { createOwnerClass, type RequestSession } from './owner.js';
import { usersOf, type UserKey, type Users } from './sign-in.js';
import type { IndexKeeper } from '../control/index-keeper.js';
import type { Caller } from '../control/user-index.js';
import type { CookieCodec } from '../cookie/codec.js';
import type { CookieSizeSettings } from '../cookie/response.js';
import type { AdapterSettings } from '../store/adapter.js';
import type { SessionStore } from '../types.js';

export interface OwnerSettings {
  codec: CookieCodec;
  /** the one gate for client-supplied store ids (lib/session-id.ts) */
  ids: ExternalKey;
  users: Users;
  control: IndexKeeper | undefined;
  rotateCsrf: boolean;
  absoluteMaxAge: number | undefined;
  /** the server-checked lifetime of browser-session cookie sessions */
  sessionTTL: number;
  /** cookies a sealed session may be split over (1: never) */
  maxChunks: number;
  size: CookieSizeSettings;
  /** no `beforeSave` of the app's can change the session between the change check and the write */
  writesCheckedText: boolean;
  appValid: ((ctx: Context, data: unknown) => unknown) | undefined;
  store: AdapterSettings;
  /** the store in use now: `app.sessionStore` may change it at any time */
  currentStore: (ctx: Context) => SessionStore | undefined;
}

/** The owner as session control sees it: the session a request acts from, and what a "destroy all" it ran means for it. */
export interface RequestParty {
  caller(user: string): Caller | 'gone' | undefined;
  revoked(user: string, gen: number, keep: boolean): void;
}

const OWNER = Symbol('egg-session-plus#owner');
const MAKE_OWNER = Symbol('egg-session-plus#makeOwner');

/** koa-session's options: the config without this plugin's own keys; egg's cookie `encrypt` is off (the codec seals). */
function koaOptionsOf(config: ResolvedSessionConfig, signed: boolean): Record<string, any> {
  const options: Record<string, any> = {};
  for (const [ key, value ] of Object.entries(config)) {
    if (!PLUGIN_KEYS.has(key)) options[key] = value;
  }
  return Object.assign(options, { signed, encrypt: false });
}

/**
 * Builds the owner of every request's session from the config (at boot, once the store and session
 * control exist) and makes `ctxOwner(ctx)` find it, one per request.
 */
export function installRequestOwner(app: Application, config: ResolvedSessionConfig, control: IndexKeeper | undefined): void {
  const custom = config as { encode?: (data: object) => string; decode?: (value: string) => unknown };
  const sealed = config.encrypt && !custom.encode && !custom.decode;
  if (config.onCookieTooLarge === 'split' && !sealed) {
    // only a sealed value is authenticated as a whole: a `.sig` covers the first chunk alone
    throw new TypeError('[egg-session-plus] config.session.onCookieTooLarge \'split\' needs sealed cookies: ' +
      'it cannot be used with encrypt: false or your own encode/decode');
  }
  // a sealed cookie needs no `.sig`; a custom genid's ids are only trusted signed
  const signed = sealed ? Boolean(config.genid) : config.signed;
  const externalKey = config.externalKey as ExternalKey | undefined;
  assertSessionIdsCanBeTrusted({ key: config.key, genid: config.genid, externalKey, signed });
  const options = koaOptionsOf(config, signed);
  const maxChunks = config.onCookieTooLarge === 'split' ? config.maxCookieChunks : 1;
  const Owner = createOwnerClass(koaContextSession(options), {
    codec: createCookieCodec({
      keys: appKeys(app.config.keys), key: config.key, encrypt: config.encrypt, upgradeLegacyCookies: config.upgradeLegacyCookies,
      legacy: { key: config.key, acceptEncrypted: config.legacyEncryptedCookies, path: config.path as string, domain: config.domain as string },
      maxChunks, encode: custom.encode, decode: custom.decode,
    }),
    ids: createSessionIdReader(app, { key: config.key, prefix: config.prefix, genid: config.genid, externalKey }),
    users: usersOf(config.userKey as UserKey, Boolean(control)),
    control,
    rotateCsrf: config.rotateCsrfOnRegenerate,
    absoluteMaxAge: config.absoluteMaxAge,
    sessionTTL: config.sessionTTL,
    maxChunks,
    size: { key: config.key, limit: config.cookieSizeLimit, policy: config.onCookieTooLarge, fallback: defaultCookieSizePolicy(app.config.env) },
    writesCheckedText: typeof config.beforeSave !== 'function',
    appValid: config.valid as ((ctx: Context, data: unknown) => unknown) | undefined,
    store: { timeout: config.storeTimeout, policy: config.onStoreError, key: config.key },
    currentStore: ctx => {
      const store = (ctx.app.config.session as { store?: unknown }).store;
      return typeof store === 'object' && store ? store as SessionStore : undefined;
    },
  });
  Reflect.set(app, MAKE_OWNER, (ctx: Context) => new Owner(ctx, options));
}

/** The request's session owner, created on first use. */
export function ctxOwner(ctx: Context): RequestSession {
  const holder = ctx as unknown as Record<symbol, RequestSession | undefined>;
  const owner = holder[OWNER];
  if (owner) return owner;
  const make = Reflect.get(ctx.app, MAKE_OWNER) as ((ctx: Context) => RequestSession) | undefined;
  if (!make) throw new Error('[egg-session-plus] the session plugin has not booted (app.ts didLoad) in this app');
  return holder[OWNER] = make(ctx);
}

/** The request's session owner if it has one already. */
export function peekOwner(ctx: Context): RequestSession | undefined {
  return (ctx as unknown as Record<symbol, RequestSession | undefined>)[OWNER];
}

/** True when this request runs on an empty, unsaved session because the store failed (`onStoreError: 'anonymous'`). */
export function isAnonymousSession(ctx: Context): boolean {
  return peekOwner(ctx)?.anonymous === true;
}
