import type { Context } from 'egg';
import { stampMeta, userOf } from './meta.js';
import { requestState } from './state.js';
import { isAnonymousSession } from '../request-session.js';
import { newCookieRef, REF } from '../lifecycle.js';

type Valid = (ctx: Context, data: unknown) => unknown;
type BeforeSave = (ctx: Context, session: Record<string, unknown>) => void;

export interface ControlHookSettings {
  userKey: string;
}

/**
 * Adds the hidden metadata to koa-session's options (the absolute timeout is applied where a session is read).
 *
 * Writing: koa-session calls `beforeSave(ctx, session)` right before `save()`, and `save()`
 * then encodes the cookie or calls `store.set(..., { ctx })`. So `beforeSave` stamps the metadata
 * onto the Session (where toJSON hides it) and keeps it in the request's state; the request's
 * session owner adds it to the cookie it encodes, the store wrapper (store.ts) to store writes.
 * Reading: the decoded cookie / loaded store value carries it, and the Session constructor
 * copies it back onto `ctx.session`.
 */
export function installControlHooks(options: Record<string, any>, settings: ControlHookSettings): void {
  const { userKey } = settings;
  const valid = options.valid as Valid;
  const beforeSave = options.beforeSave as BeforeSave | undefined;

  options.valid = (ctx: Context, data: unknown) => {
    if (!valid(ctx, data)) return false;
    const state = requestState(ctx);
    if (state.revoked || isAnonymousSession(ctx)) return false;
    state.sessionUser = state.indexedUser = userOf(data, userKey);
    return true;
  };

  options.beforeSave = (ctx: Context, session: Record<string, unknown>) => {
    beforeSave?.(ctx, session);
    const state = requestState(ctx);
    const user = userOf(session, userKey);
    const meta = stampMeta(session, user, state.sessionUser, Date.now());
    // a cookie session has no id: a random reference names it in lifecycle events
    if (!ctx.sessionOptions.store) meta[REF] = session[REF] = typeof session[REF] === 'string' ? session[REF] : newCookieRef();
    // persisted with the write that follows: the request's session owner adds it to the cookie
    // (lib/request-session.ts), the store wrapper to the stored value (store.ts)
    state.meta = meta;
    state.sessionUser = user;
  };
}
