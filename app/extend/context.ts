import type { Context } from 'egg';
import { flash, type FlashMessage } from '../../lib/flash.js';
import { ContextSessions } from '../../lib/control/context-sessions.js';

const SESSIONS = Symbol('egg-session-plus#contextSessions');

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
    let sessions = Reflect.get(this, SESSIONS) as ContextSessions | undefined;
    if (!sessions) {
      sessions = new ContextSessions(this as unknown as Context);
      Reflect.set(this, SESSIONS, sessions);
    }
    return sessions;
  }
}
