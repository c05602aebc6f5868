import type { Context } from 'egg';
import { flash, type FlashMessage } from '../../lib/flash.js';
import { ContextSessions } from '../../lib/control/context-sessions.js';
import { requestSessionOf } from '../../lib/request-session.js';

export default class SessionContext {
  /**
   * Flash messages, read once: `ctx.flash(type, message)` adds (returns the count of that type),
   * `ctx.flash(type)` takes that type's messages, `ctx.flash()` takes all of them.
   */
  flash(type?: string, ...message: [] | [FlashMessage | FlashMessage[]]): any {
    return flash(this as unknown as Context, type, ...message);
  }

  /** The signed-in user's sessions across devices (needs session control). */
  get sessions(): ContextSessions {
    // kept by the request's session owner, with everything else this plugin knows of the request
    const owner = requestSessionOf(this as unknown as Context);
    return (owner.sessions ??= new ContextSessions(this as unknown as Context)) as ContextSessions;
  }
}
