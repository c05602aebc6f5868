import type { Context } from 'egg';
import { flash, type FlashMessage } from '../../lib/flash.js';
import { ContextSessions } from '../../lib/control/context-sessions.js';
import { sessionControlOf } from '../../lib/control/session-control.js';
import { ctxOwner, OWNER } from '../../lib/request/setup.js';
import type { RequestSession } from '../../lib/request/owner.js';

const ownerOf = (ctx: object): RequestSession => (ctx as Record<symbol, RequestSession>)[OWNER] ?? ctxOwner(ctx as Context);

export default class SessionContext {
  /** The session of this request (koa-session's Session); assign `null` to destroy it, an object to replace it. */
  get session(): any {
    const owner = ownerOf(this);
    return owner.session || owner.get();
  }

  set session(value: Record<string, unknown> | null) {
    ownerOf(this).set(value);
  }

  /** koa-session's options for this request only (e.g. `ctx.sessionOptions.maxAge`). */
  get sessionOptions(): Record<string, any> {
    return ownerOf(this).opts;
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
    const owner = ownerOf(ctx);
    return (owner.sessions ??= new ContextSessions(ctx, owner, sessionControlOf(ctx.app))) as ContextSessions;
  }
}
