import type { Context } from 'egg';
import { ctxOwner } from '../../lib/request/setup.js';

/** True when the Cookie header's first `<key>=` pair (the one egg reads) is empty: koa-session would start afresh without a word. */
export function sendsEmptyCookie(header: string | undefined, key: string): boolean {
  if (!header) return false;
  const prefix = `${key}=`;
  for (let at = header.indexOf(prefix); at >= 0; at = header.indexOf(prefix, at + 1)) {
    // a pair starts the header or follows `;` and spaces
    let before = at - 1;
    while (before >= 0 && header[before] === ' ') before--;
    if (before >= 0 && header[before] !== ';') continue;
    return at + prefix.length === header.length || header[at + prefix.length] === ';';
  }
  return false;
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
