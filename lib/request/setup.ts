import type { Application, Context } from 'egg';
import { PLUGIN_KEYS, type ResolvedSessionConfig } from '../config.js';
import { appKeys, createCookieCodec } from '../cookie/codec.js';
import { defaultCookieSizePolicy } from '../cookie/response.js';
import { assertSessionIdsCanBeTrusted, createSessionIdReader, type ExternalKey } from '../session-id.js';
import { normaliseKoaOptions } from './koa-base.js';
import { RequestSession } from './owner.js';
import { userReader, type UserKey } from './sign-in.js';
import type { IndexKeeper } from '../control/index-keeper.js';
import type { Caller } from '../control/user-index.js';
import type { SessionStore } from '../types.js';

/** The owner as session control sees it: the session a request acts from, and what a "destroy all" it ran means for it. */
export interface RequestParty { caller(user: string): Caller | 'gone' | undefined; revoked(user: string, gen: number, keep: boolean): void }

function ownerSettings(app: Application, config: ResolvedSessionConfig, control: IndexKeeper | undefined, sealed: boolean) {
  const { key, absoluteMaxAge } = config;
  const maxChunks = config.onCookieTooLarge === 'split' ? config.maxCookieChunks : 1;
  const custom = config as { encode?: (data: object) => string; decode?: (value: string) => unknown };
  const codec = createCookieCodec({
    keys: appKeys(app.config.keys), key, encrypt: sealed, upgradeLegacyCookies: config.upgradeLegacyCookies, maxChunks,
    acceptEncrypted: config.legacyEncryptedCookies, path: config.path as string, domain: config.domain as string,
    encode: custom.encode, decode: custom.decode,
  });
  // without session control such a user is no user: said once, since no new id at its sign-in (regenerateOnSignIn) then protects it
  let warned = false;
  const ignored = (message: string) => warned || (warned = true, app.coreLogger.warn(`${message}. Until then it counts as no user: no new id at sign-in`));
  const userOf = userReader(config.userKey as UserKey, control ? true : ignored);
  return {
    codec,
    ids: createSessionIdReader(app, { prefix: config.prefix, genid: config.genid, externalKey: config.externalKey as ExternalKey | undefined,
      idHeader: config.idHeader, idHeaderOnly: config.idHeaderOnly }),
    userOf,
    appUser: userReader(config.userKey as UserKey, false, 'app'), // for event payloads: never throws
    verdict: { absoluteMaxAge, userOf, appValid: config.valid as ((ctx: Context, data: unknown) => unknown) | undefined },
    cookie: { codec, userOf, absoluteMaxAge, limit: config.cookieSizeLimit, maxChunks },
    control,
    rotateCsrf: config.rotateCsrfOnRegenerate,
    regenerateOnSignIn: config.regenerateOnSignIn,
    destroyOnSignOut: config.destroyOnSignOut,
    sessionTTL: config.sessionTTL,
    size: { key, limit: config.cookieSizeLimit, policy: config.onCookieTooLarge, fallback: defaultCookieSizePolicy(app.config.env) },
    // no `beforeSave` of the app's can change the session between the change check and the write
    writesCheckedText: typeof config.beforeSave !== 'function',
    store: {
      timeout: config.storeTimeout, policy: config.onStoreError, key,
      // `app.sessionStore` may change the store at any time
      current(ctx: Context): SessionStore | undefined {
        const { store } = ctx.app.config.session as { store?: unknown };
        return typeof store === 'object' && store ? store as SessionStore : undefined;
      },
    },
  };
}

export type OwnerSettings = ReturnType<typeof ownerSettings>;
export const OWNER = Symbol('egg-session-plus#owner');
const MAKE_OWNER = Symbol('egg-session-plus#makeOwner');

/** At boot, once the store and session control exist. */
export function installRequestOwner(app: Application, config: ResolvedSessionConfig, control: IndexKeeper | undefined): void {
  const custom = config as { encode?: unknown; decode?: unknown };
  const sealed = config.encrypt && !custom.encode && !custom.decode;
  // only a sealed value is authenticated as a whole: a `.sig` would cover the first chunk alone
  if (config.onCookieTooLarge === 'split' && !sealed) {
    throw new TypeError('[egg-session-plus] config.session.onCookieTooLarge \'split\' needs sealed cookies: it cannot be used with encrypt: false or your own encode/decode');
  }
  // a sealed cookie needs no `.sig`; a custom genid's ids are trusted only signed
  const signed = sealed ? Boolean(config.genid) : config.signed;
  if (config.idHeaderOnly && !config.idHeader) throw new TypeError('[egg-session-plus] config.session.idHeaderOnly needs config.session.idHeader');
  assertSessionIdsCanBeTrusted({ genid: config.genid, externalKey: config.externalKey, idHeader: config.idHeader, signed });
  // koa-session's options copy the config for every request and cookie write: the plugin's own keys stay out
  const options: Record<string, any> = { signed, encrypt: false };
  for (const [ key, value ] of Object.entries(config)) if (!PLUGIN_KEYS.has(key) && !(key in options)) options[key] = value;
  normaliseKoaOptions(options);
  const settings = ownerSettings(app, config, control, sealed);
  Reflect.set(app, MAKE_OWNER, (ctx: Context) => new RequestSession(ctx, options, settings));
}

export function ctxOwner(ctx: Context): RequestSession {
  const holder = ctx as unknown as Record<symbol, RequestSession | undefined>;
  if (holder[OWNER]) return holder[OWNER];
  const make = Reflect.get(ctx.app, MAKE_OWNER) as ((ctx: Context) => RequestSession) | undefined;
  if (!make) throw new Error('[egg-session-plus] the session plugin has not booted (app.ts didLoad) in this app');
  return holder[OWNER] = make(ctx);
}

export function peekOwner(ctx: Context): RequestSession | undefined {
  return (ctx as unknown as Record<symbol, RequestSession | undefined>)[OWNER];
}

/** True when this request runs on an empty, unsaved session because the store failed (`onStoreError: 'anonymous'`). */
export function isAnonymousSession(ctx: Context): boolean {
  return peekOwner(ctx)?.anonymous === true;
}
