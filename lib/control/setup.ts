import type { Application } from 'egg';
import { MAX_COOKIE_LIFETIME, type ResolvedSessionConfig } from '../config.js';
import { describeStore } from '../builtin-store.js';
import { resolveRedisClient } from '../redis.js';
import { SessionControl } from './session-control.js';
import { UserSessionIndex } from './user-index.js';

const CONTROL = Symbol.for('egg-session-plus#sessionControl');

/** Session control is on with the built-in Redis store, or when `config.session.control.enable` says so. */
export function sessionControlEnabled(config: ResolvedSessionConfig): boolean {
  return config.control?.enable ?? describeStore(config.store) === 'redis';
}

/** Builds `app.sessions` (at didLoad, once @eggjs/redis and the store exist). */
export function installSessionControl(app: Application, config: ResolvedSessionConfig): void {
  let control: SessionControl | undefined;
  if (sessionControlEnabled(config)) {
    const client = resolveRedisClient(app, config.redis.client, 'session control (per-user sessions, "log out everywhere") needs Redis,');
    const index = new UserSessionIndex(client, config.redis.prefix);
    control = new SessionControl(app, index, {
      userKey: config.userKey,
      maxSessionsPerUser: config.maxSessionsPerUser,
      absoluteMaxAge: config.absoluteMaxAge,
      sessionTTL: config.redis.sessionTTL,
      // no cookie is valid longer than this on the server (cookie-expiry.ts), whatever its format or sign-in time
      revocationTTL: MAX_COOKIE_LIFETIME,
      // the index entry of a session lives maxAge (+10 s), or sessionTTL for a browser-session one: re-index it well
      // before that, however long touchInterval is
      touchInterval: Math.min(config.control.touchInterval, Math.floor(config.redis.sessionTTL / 2),
        typeof config.maxAge === 'number' ? Math.floor(config.maxAge / 2) : Infinity),
      timeout: config.storeTimeout,
    });
  }
  Reflect.set(app, CONTROL, control);
  Object.defineProperty(app, 'sessions', {
    configurable: true,
    get() {
      if (control) return control;
      throw new Error('[egg-session-plus] app.sessions needs session control: use `config.session.store = \'redis\'`, ' +
        'or set `config.session.control = { enable: true }` with @eggjs/redis enabled');
    },
  });
}

export function sessionControlOf(app: Application): SessionControl | undefined {
  return Reflect.get(app, CONTROL) as SessionControl | undefined;
}
