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
    // AES-256-GCM sealed cookies; `false` falls back to @eggjs/session's signed base64 JSON
    encrypt: true,
    upgradeLegacyCookies: true,
    // egg-encrypted (`encrypt: true`) @eggjs/session cookies: off, see README "Cookie format and security"
    legacyEncryptedCookies: false,
    // server-checked idle lifetime of browser-session (maxAge 'session') cookie sessions
    sessionTTL: 24 * 3600 * 1000,
    // regenerate() (the login pattern) also rotates egg's CSRF secret: tokens from before the login stop working
    rotateCsrfOnRegenerate: true,
    // a session whose user changes (a login, another user) moves to a new id and CSRF secret by itself
    regenerateOnSignIn: true,
    // a session whose user is removed (egg-passport's ctx.logout()) is destroyed
    destroyOnSignOut: false,
    cookieSizeLimit: 4093,
    // onCookieTooLarge: unset means 'error' in local and unittest, 'warn' elsewhere (resolved at boot, so an
    // app's config.default wins: a plugin's config.unittest would override it)
    // onCookieTooLarge: 'split' sends a large sealed session as at most this many cookies
    maxCookieChunks: 4,
    storeTimeout: 500,
    onStoreError: 'fail',
    userKey: 'userId',
    // session control: the most sessions a user keeps (0 or Infinity: no bound); over it, the oldest is evicted
    maxSessionsPerUser: 100,
    maxSessionsPreventsLogin: false,
    control: {
      touchInterval: 60 * 1000,
    },
    redis: {
      prefix: 'sess:',
      sessionTTL: 24 * 3600 * 1000,
      merge: false,
    },
    memory: {
      maxEntries: 10000,
      // TTL of browser-session (maxAge 'session') entries
      sessionTTL: 24 * 3600 * 1000,
    },
  } satisfies SessionConfig,
};
