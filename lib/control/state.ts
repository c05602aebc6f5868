import type { Context } from 'egg';
import type { SessionMeta, UserId } from './meta.js';

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
  /** the revocation check failed and `onStoreError` is 'anonymous' */
  anonymous?: boolean;
}

const states = new WeakMap<Context, RequestState>();

export function requestState(ctx: Context): RequestState {
  let state = states.get(ctx);
  if (!state) {
    state = {};
    states.set(ctx, state);
  }
  return state;
}

export function peekRequestState(ctx: Context): RequestState | undefined {
  return states.get(ctx);
}
