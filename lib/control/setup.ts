import type { Application, Context } from 'egg';
import type { ResolvedSessionConfig } from '../config.js';
import { describeStore } from '../store/builtin.js';
import { resolveRedisClient } from '../redis.js';
import type { RequestParty } from '../request/setup.js';
import { IndexKeeper } from './index-keeper.js';
import { SessionControl } from './session-control.js';
import { UserSessionIndex } from './user-index.js';
import { needsSessionControl } from './context-sessions.js';

const CONTROL = Symbol.for('egg-session-plus#sessionControl');

/** Session control is on with the built-in Redis store, or when `config.session.control.enable` says so. */
export function sessionControlEnabled(config: ResolvedSessionConfig): boolean {
  return config.control.enable ?? describeStore(config.store) === 'redis';
}

/** Builds `app.sessions` (at didLoad, once @eggjs/redis and the store exist); returns what requests use of it. */
export function installSessionControl(app: Application, config: ResolvedSessionConfig, partyOf: (ctx: Context) => RequestParty | undefined):
IndexKeeper | undefined {
  let control: SessionControl | undefined;
  let keeper: IndexKeeper | undefined;
  if (sessionControlEnabled(config)) {
    const client = resolveRedisClient(app, config.redis.client, 'session control (per-user sessions, "log out everywhere") needs Redis,');
    const index = new UserSessionIndex(client, config.redis.prefix);
    keeper = new IndexKeeper(app, index, config);
    control = new SessionControl(app, index, keeper, config.storeTimeout, partyOf);
  }
  Reflect.set(app, CONTROL, control);
  Object.defineProperty(app, 'sessions', {
    configurable: true,
    get() {
      if (control) return control;
      throw needsSessionControl('app.sessions');
    },
  });
  return keeper;
}

export function sessionControlOf(app: Application): SessionControl | undefined {
  return Reflect.get(app, CONTROL) as SessionControl | undefined;
}
