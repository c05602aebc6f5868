import type { Application, Context } from 'egg';
import type { ResolvedSessionConfig } from '../config.js';
import { checkCookieRevocation, checkStoreRevocation, settleRevokedCookie } from './revocation.js';
import { sessionControlOf } from './setup.js';
import type { SessionStore } from '../types.js';

export interface SessionControlSteps {
  /** before koa-session: the revocation check of a cookie session (async, so not in `valid`) */
  before(ctx: Context): Promise<void> | undefined;
  /** after a store session was loaded: the revocation check of a store session the index may not hold */
  loaded(ctx: Context): Promise<void> | undefined;
  /** after koa-session committed */
  after(ctx: Context): Promise<void> | undefined;
}

/** What the session middleware runs around koa-session for session control; no-ops when it is off. */
export function createSessionControlSteps(app: Application, config: ResolvedSessionConfig, key: string): SessionControlSteps {
  const settings = { userKey: config.userKey, timeout: config.storeTimeout, onStoreError: config.onStoreError };
  return {
    before(ctx) {
      const control = sessionControlOf(app);
      if (!control || ctx.sessionOptions.store) return;
      return checkCookieRevocation(ctx, app, control, settings);
    },
    loaded(ctx) {
      const control = sessionControlOf(app);
      if (!control || !ctx.sessionOptions.store) return;
      return checkStoreRevocation(ctx, app, control, settings);
    },
    after(ctx) {
      const control = sessionControlOf(app);
      if (!control) return;
      settleRevokedCookie(ctx, key);
      // the store behind the session-control wrapper (ControlledStore.store)
      const store = (ctx.sessionOptions.store as { store?: SessionStore } | undefined)?.store;
      return control.touch(ctx, store);
    },
  };
}
