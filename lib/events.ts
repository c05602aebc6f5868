import type { Application } from 'egg';
import type { SessionErrorEvent, SessionEvent } from './types.js';
import { sessionHandle } from './redis-keys.js';

/** Logs koa-session's events through the egg logger, in @eggjs/session's line format. */
export function logSessionEvents(app: Application): void {
  const shown = (value: unknown) => app.config.session.logValue ? value : '';
  app.on('session:missed', ({ ctx, key }: SessionEvent) => {
    ctx.coreLogger.warn('[session][missed] key(%s)', key);
  });
  app.on('session:expired', ({ ctx, key, value }: SessionEvent) => {
    ctx.coreLogger.warn('[session][expired] key(%s) value(%j)', key, shown(value));
  });
  app.on('session:invalid', ({ ctx, key, value }: SessionEvent) => {
    ctx.coreLogger.warn('[session][invalid] key(%s) value(%j)', key, shown(value));
  });
  // a store failure names the session by its reference (as ctx.sessions.list() does), not by its id:
  // an outage would otherwise write every active session's credential into the error log
  app.on('session:error', ({ ctx, key, error }: SessionErrorEvent) => {
    const shownKey = key === undefined || key === app.config.session.key ? key : `ref:${sessionHandle(key)}`;
    ctx.coreLogger.error('[session][error] key(%s) %s', shownKey, error.message);
  });
}
