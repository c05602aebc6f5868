import type { Context } from 'egg';
import { flash, type FlashMessage } from '../../lib/flash.js';
import { ContextSessions } from '../../lib/control/context-sessions.js';
import { sessionControlOf } from '../../lib/control/session-control.js';
import { ctxOwner } from '../../lib/request/setup.js';

export default class SessionContext {
  /** The session of this request (koa-session's Session); assign `null` to destroy it, an object to replace it. */
  get session(): any {
    return ctxOwner(this as unknown as Context).get();
  }

  set session(value: Record<string, unknown> | null) {
    ctxOwner(this as unknown as Context).set(value);
  }

  /** koa-session's options for this request only (e.g. `ctx.sessionOptions.maxAge`). */
  get sessionOptions(): Record<string, any> {
    return ctxOwner(this as unknown as Context).opts;
  }

  /**
   * Flash messages, read once: `ctx.flash(type, message)` adds (returns the count of that type),
   * `ctx.flash(type)` takes that type's messages, `ctx.flash()` takes all of them.
   */
  flash(type?: string, ...message: [] | [FlashMessage | FlashMessage[]]): any {
    return flash(this as unknown as Context, type, ...message);
  }

  /** The signed-in user's sessions across devices (needs session control). */
  get sessions(): ContextSessions {
    const ctx = this as unknown as Context;
    const owner = ctxOwner(ctx);
    return (owner.sessions ??= new ContextSessions(ctx, owner, sessionControlOf(ctx.app))) as ContextSessions;
  }
}
