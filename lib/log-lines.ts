import type { Application } from 'egg';
import type { SessionErrorEvent, SessionEvent } from './types.js';

/** Logs koa-session's events through the egg logger, in @eggjs/session's line format, and store failures. */
export function logSessionEvents(app: Application): void {
  const shown = (value: unknown) => (app.config.session.logValue ? value : '');
  app.on('session:missed', ({ ctx, key }: SessionEvent) => {
    ctx.coreLogger.warn('[session][missed] key(%s)', key);
  });
  app.on('session:expired', ({ ctx, key, value }: SessionEvent) => {
    ctx.coreLogger.warn('[session][expired] key(%s) value(%j)', key, shown(value));
  });
  app.on('session:invalid', ({ ctx, key, value }: SessionEvent) => {
    ctx.coreLogger.warn('[session][invalid] key(%s) value(%j)', key, shown(value));
  });
  // a store session is named by its reference (as ctx.sessions.list() does), never by its id: an outage
  // would otherwise write every active session's credential into the error log
  app.on('session:error', ({ ctx, key, error }: SessionErrorEvent) => {
    ctx.coreLogger.error('[session][error] key(%s) %s', key, error.message);
  });
}
