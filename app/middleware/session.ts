import type { Application, Context } from 'egg';
import type { ResolvedSessionConfig } from '../../lib/config.js';
import { createKoaSessionOptions, followAppSessionStore } from '../../lib/koa-options.js';
import {
  createRequestSessionClass, installSessionAccessors, prepareKoaSession, requestSessionOf, routeCookieEncodeToOwner,
} from '../../lib/request-session.js';
import { createCookieSizeCheck, defaultCookieSizePolicy } from '../../lib/cookie-size.js';
import { createEmptyCookieReport } from '../../lib/empty-cookie.js';
import { createSessionControlSteps } from '../../lib/control/middleware.js';
import { clearCookie, dropSessionCookies } from '../../lib/session-cookies.js';
import { sessionControlEnabled } from '../../lib/control/setup.js';

type Next = () => Promise<unknown>;

/** egg's middleware signature around koa-session: `options` is `app.config.session`. */
export default function sessionMiddleware(options: ResolvedSessionConfig, app: Application) {
  const { options: koaOptions, readCookie } = createKoaSessionOptions(options, app);
  routeCookieEncodeToOwner(koaOptions);
  const ContextSession = prepareKoaSession(koaOptions);
  followAppSessionStore(koaOptions, app, options);
  const RequestSession = createRequestSessionClass(ContextSession, {
    decodeCookie: readCookie, rotateCsrf: options.rotateCsrfOnRegenerate, userKey: options.userKey,
    maxCookieChunks: options.onCookieTooLarge === 'split' ? options.maxCookieChunks : 1, cookieSizeLimit: options.cookieSizeLimit,
    writesCheckedText: typeof (options as { beforeSave?: unknown }).beforeSave !== 'function',
    checksCookieRevocation: sessionControlEnabled(options),
  });
  installSessionAccessors(app.context, RequestSession, koaOptions);
  const key = koaOptions.key as string;
  const checkCookieSize = createCookieSizeCheck(key, {
    limit: options.cookieSizeLimit, policy: options.onCookieTooLarge,
    fallback: defaultCookieSizePolicy(app.config.env),
  });
  const reportEmptyCookie = createEmptyCookieReport(app, key);
  const control = createSessionControlSteps(app, options, key);

  return async function session(ctx: Context, next: Next) {
    const request = requestSessionOf(ctx);
    request.guarded = true;
    reportEmptyCookie(ctx);
    const checking = control.before(ctx);
    if (checking) await checking;
    await request.load();
    const vetting = control.loaded(ctx);
    if (vetting) await vetting;
    try {
      await next();
    } finally {
      if (koaOptions.autoCommit) await request.commit();
    }
    request.announceChanges();
    const settling = control.after(ctx);
    if (settling) await settling;
    // the store failed under 'anonymous': the browser keeps the cookie it has, which is still true;
    // but a cookie session's logout needs no store: its cookie is cleared (a flash after it is not saved)
    if (request.anonymous) {
      dropSessionCookies(ctx, key);
      if (!request.store && request.loggedOut) clearCookie(ctx, key);
    }
    checkCookieSize(ctx);
  };
}
