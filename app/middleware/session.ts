import type { Context } from 'egg';
import { ctxOwner } from '../../lib/request/setup.js';
import { sendsEmptyCookie } from '../../lib/cookie/response.js';

type Next = () => Promise<unknown>;

/** The request's steps around its session: load and check it, run the app, commit, finish. */
export default function sessionMiddleware() {
  return async function session(ctx: Context, next: Next) {
    const owner = ctxOwner(ctx);
    // koa-session reads an empty cookie as none, without a word: it is reported like any unreadable one
    if (sendsEmptyCookie(ctx.get('cookie'), owner.opts.key)) setImmediate(() => ctx.app.emit('session:invalid', { key: undefined, value: '', ctx }));
    await owner.load();
    try {
      await next();
    } finally {
      if (owner.opts.autoCommit) await owner.commit();
    }
    await owner.finish();
  };
}
