import type { SessionConfig } from '../lib/config.js';

/** The only defaults of `config.session` (lib/config.ts validates, and adds none). */
export default {
  session: {
    key: 'EGG_SESS',
    maxAge: 24 * 3600 * 1000, // one day
    httpOnly: true,
    overwrite: true,
    signed: true,
    autoCommit: true,
    rolling: false,
    renew: false,
    logValue: true,
    encrypt: true, // AES-256-GCM sealed cookies; `false`: @eggjs/session's signed base64 JSON
    upgradeLegacyCookies: true,
    legacyEncryptedCookies: false, // egg-encrypted @eggjs/session cookies: off, see README "Cookie format and security"
    sessionTTL: 24 * 3600 * 1000, // server-checked idle lifetime of browser-session (maxAge 'session') cookie sessions
    rotateCsrfOnRegenerate: true, // regenerate() (the login pattern) also rotates egg's CSRF secret
    regenerateOnSignIn: true, // a session whose user changes moves to a new id and CSRF secret by itself
    destroyOnSignOut: false, // a session whose user is removed (egg-passport's ctx.logout()) is destroyed
    cookieSizeLimit: 4093,
    // onCookieTooLarge unset: 'error' in local and unittest, 'warn' elsewhere, resolved at boot (so an app's config.default wins: a plugin's
    // config.unittest would override it)
    maxCookieChunks: 4, // under onCookieTooLarge 'split'
    storeTimeout: 500,
    onStoreError: 'fail',
    userKey: 'userId',
    // session control: the most sessions a user keeps (0 or Infinity: no bound); over it, the oldest is evicted
    maxSessionsPerUser: 100,
    maxSessionsPreventsLogin: false,
    idHeaderOnly: false, // with idHeader: the session id travels in that header only, never in a cookie
    control: { touchInterval: 60 * 1000 },
    redis: { prefix: 'sess:', sessionTTL: 24 * 3600 * 1000, merge: false },
    memory: { maxEntries: 10000, sessionTTL: 24 * 3600 * 1000 }, // sessionTTL: of browser-session (maxAge 'session') entries
  } satisfies SessionConfig,
};
