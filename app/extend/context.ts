import type { Context } from 'egg';
import { flash, type FlashMessage } from '../../lib/flash.js';
import { ContextSessions } from '../../lib/control/context-sessions.js';
import { sessionControlOf } from '../../lib/control/session-control.js';
import { ctxOwner, OWNER } from '../../lib/request/setup.js';
import type { RequestSession } from '../../lib/request/owner.js';

const ownerOf = (ctx: object): RequestSession => (ctx as Record<symbol, RequestSession>)[OWNER] ?? ctxOwner(ctx as Context);

// the API users see is documented in typings/index.ts
export default class SessionContext {
  get session(): any {
    const owner = ownerOf(this);
    return owner.session || owner.get();
  }
  set session(value: Record<string, unknown> | null) { ownerOf(this).set(value); }
  get sessionOptions(): Record<string, any> { return ownerOf(this).opts; }
  flash(type?: string, ...message: [] | [FlashMessage | FlashMessage[]]): any { return flash(this as unknown as Context, type, ...message); }
  get sessions(): ContextSessions {
    const ctx = this as unknown as Context;
    const owner = ownerOf(ctx);
    return (owner.sessions ??= new ContextSessions(ctx, owner, sessionControlOf(ctx.app))) as ContextSessions;
  }
}
