import { createSession } from 'koa-session';
import type { Application, Context } from 'egg';
import type { ResolvedSessionConfig } from '../../lib/config.js';
import { createKoaSessionOptions, followAppSessionStore } from '../../lib/koa-options.js';
import { createCookieSizeCheck } from '../../lib/cookie-size.js';
import { createEmptyCookieReport } from '../../lib/empty-cookie.js';
import { createSessionControlSteps } from '../../lib/control/middleware.js';

type Next = () => Promise<unknown>;

/** egg's middleware signature around koa-session: `options` is `app.config.session`. */
export default function sessionMiddleware(options: ResolvedSessionConfig, app: Application) {
  const koaOptions = createKoaSessionOptions(options, app);
  const koaSession = createSession(koaOptions as any, app as any);
  followAppSessionStore(koaOptions, app, options);
  const checkCookieSize = createCookieSizeCheck(koaOptions.key, options.cookieSizeLimit, options.onCookieTooLarge);
  const reportEmptyCookie = createEmptyCookieReport(app, koaOptions.key);
  const control = createSessionControlSteps(app, options, koaOptions.key);

  return async function session(ctx: Context, next: Next) {
    reportEmptyCookie(ctx);
    const checking = control.before(ctx);
    if (checking) await checking;
    await koaSession(ctx as any, next);
    const settling = control.after(ctx);
    if (settling) await settling;
    checkCookieSize(ctx);
  };
}
