import type { Context } from 'egg';
import { peekRequestSession, requestSessionOf, type RequestState } from '../request-session.js';

export type { RequestState };

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
