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
