import type { Context } from 'egg';
import type { SessionMeta, UserId } from './meta.js';
import { peekRequestSession, requestSessionOf } from '../request-session.js';

/** What the control layer remembers about one request's session. */
export interface RequestState {
  /** the owner of the session as persisted (set at load, updated at each save) */
  sessionUser?: UserId;
  /** hidden metadata stamped by beforeSave, persisted with the write that follows */
  meta?: SessionMeta;
  /** the store key this request loaded or last wrote */
  storeKey?: string;
  /** the user `storeKey` is indexed under, as far as this request knows */
  indexedUser?: UserId;
  /** the store session was written (or refreshed) during this request */
  written?: boolean;
  /** the store session `storeKey` was destroyed during this request */
  destroyed?: boolean;
  /** the cookie session's user had all sessions destroyed after it signed in */
  revoked?: boolean;
}

// on the request's one session owner (lib/request-session.ts), with everything else it knows
export function requestState(ctx: Context): RequestState {
  return requestSessionOf(ctx).control ??= {};
}

export function peekRequestState(ctx: Context): RequestState | undefined {
  return peekRequestSession(ctx)?.control;
}

/** The session was replaced by a new one (`ctx.session = null`, then an object): it was loaded with no user. */
export function forgetLoadedUser(ctx: Context): void {
  const state = peekRequestState(ctx);
  if (state) state.sessionUser = undefined;
}
