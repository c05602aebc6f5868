import type { Context } from 'egg';
import { ctxOwner } from '../../lib/request/setup.js';

const firstPairs = new Map<string, RegExp>();

/** The Cookie header's first `<key>=` pair (the one egg reads) is empty: koa-session would start afresh without a word. */
export function sendsEmptyCookie(header: string | undefined, key: string): boolean {
  if (!header) return false;
  let pair = firstPairs.get(key);
  if (!pair) firstPairs.set(key, pair = new RegExp(`(?:^|;) *${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}=([^;]*)`));
  return pair.exec(header)?.[1] === '';
}

export default function sessionMiddleware() {
  return async function session(ctx: Context, next: () => Promise<unknown>) {
    const owner = ctxOwner(ctx);
    // reported like any unreadable cookie
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
