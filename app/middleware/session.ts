import { createSession } from 'koa-session';
import type { Application, Context } from 'egg';
import type { ResolvedSessionConfig } from '../../lib/config.js';
import { createKoaSessionOptions, followAppSessionStore } from '../../lib/koa-options.js';
import { checkCookieSize } from '../../lib/cookie-size.js';

type Next = () => Promise<unknown>;

/** egg's middleware signature around koa-session: `options` is `app.config.session`. */
export default function sessionMiddleware(options: ResolvedSessionConfig, app: Application) {
  const koaOptions = createKoaSessionOptions(options, app);
  const koaSession = createSession(koaOptions as any, app as any);
  followAppSessionStore(koaOptions, app, options);
  const { cookieSizeLimit, onCookieTooLarge } = options;

  return async function session(ctx: Context, next: Next) {
    await koaSession(ctx as any, next);
    checkCookieSize(ctx, koaOptions.key, cookieSizeLimit, onCookieTooLarge);
  };
}
