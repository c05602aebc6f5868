import { createHash } from 'node:crypto';
import type { Application, Context } from 'egg';
import { describeCookie } from './cookie/codec.js';
import { dropSessionCookies } from './cookie/response.js';

/** koa-session's `externalKey` option. */
export interface ExternalKey { get(ctx: Context): string | undefined; set(ctx: Context, id: string): void }

interface SessionIdSettings { prefix?: string; genid?: unknown; externalKey?: ExternalKey; idHeader?: string; idHeaderOnly?: boolean }

const UUID_V4 = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';
// ids of a custom genid (signed): printable, and without `{`/`}`, which would name a Redis hash tag or an index key
const SAFE_ID = /^[\x21-\x7a\x7c\x7e]{1,256}$/;

// an app's own genid makes ids this plugin cannot recognise by shape: they are trusted only signed, in its own cookie
export function assertSessionIdsCanBeTrusted({ genid, externalKey, idHeader, signed }: { genid?: unknown; externalKey?: unknown; idHeader?: unknown; signed: boolean }): void {
  if (idHeader && externalKey) throw new TypeError('[egg-session-plus] config.session.idHeader and config.session.externalKey both say where the session id travels: use one');
  if (!genid || (!externalKey && !idHeader && signed)) return;
  const cause = idHeader ? 'config.session.idHeader' : externalKey ? 'config.session.externalKey' : 'config.session.signed: false';
  throw new TypeError(`[egg-session-plus] ${cause} with a custom config.session.genid: ids of a custom genid are accepted only in the ` +
    `plugin's own cookie signed with config.keys. Remove ${cause}, or the custom genid (the default genid's ids, optionally with ` +
    'config.session.prefix, are checked by shape)');
}

/** The public reference of a store session: a hash of its id, which is the credential (lists and logs show this). */
export function refOf(id: string): string {
  return createHash('sha256').update(id).digest('base64url').slice(0, 22);
}

/** Where a store session's id travels (the cookie, `idHeader`, or the app's `externalKey`). */
export interface SessionIds {
  get(ctx: Context, options: Record<string, any>): string | undefined;
  set(ctx: Context, id: string, options: Record<string, any>): void;
  /** At the end of a request: a header client whose id names no live session (`live`) is told so by an empty header (null: unknown). */
  finish(ctx: Context, live: string | undefined | null, key: string, withdraw: boolean): void;
}

// The one place a client-supplied id is checked before it becomes a store key: exactly the shape of koa-session's default genid (`prefix` +
// `crypto.randomUUID()`), or SAFE_ID's for an app's own (signed) genid. An id that fails never reaches the store: the request starts a fresh
// session and `session:invalid` is emitted (a tick later, as koa-session emits its events), as for any unreadable cookie.
export function createSessionIdReader(app: Application, { prefix = '', genid, externalKey: custom, idHeader, idHeaderOnly }: SessionIdSettings): SessionIds {
  const trusted = genid ? SAFE_ID : new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${UUID_V4}$`);
  const reject = (ctx: Context, id: string) => void setImmediate(() => app.emit('session:invalid', { key: undefined, value: describeCookie(id), ctx }));
  return {
    get(ctx, options) {
      const header = idHeader && ctx.get(idHeader);
      const id: unknown = custom ? custom.get(ctx) : header || (idHeaderOnly ? undefined : ctx.cookies.get(options.key, options));
      if (typeof id === 'string' && id) return trusted.test(id) ? id : reject(ctx, id);
      // a signed id cookie whose signature is missing or wrong reads as nothing: say so
      const raw = !custom && !idHeaderOnly && options.signed ? ctx.cookies.get(options.key, { signed: false }) : undefined;
      return raw ? reject(ctx, raw) : undefined;
    },
    set(ctx, id, options) {
      // never to a request that carries cookies (a browser's, also with an empty or shadowed session cookie): page script can read a header
      if (idHeader && (idHeaderOnly || !ctx.get('cookie'))) ctx.set(idHeader, id);
      if (custom) custom.set(ctx, id);
      else if (!idHeaderOnly) ctx.cookies.set(options.key, id, options);
    },
    finish(ctx, live, key, withdraw) {
      if (!idHeader) return;
      if (withdraw) ctx.remove(idHeader);
      const sent = ctx.get(idHeader);
      if (sent && live !== null && sent !== live && !ctx.response.get(idHeader)) ctx.set(idHeader, '');
      if (idHeaderOnly) dropSessionCookies(ctx, key);
    },
  };
}
