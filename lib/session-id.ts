import { createHash } from 'node:crypto';
import type { Application, Context } from 'egg';
import { describeCookie } from './cookie/codec.js';

/** koa-session's `externalKey` option: where a store session's id is read from and written to. */
export interface ExternalKey {
  get(ctx: Context): string | undefined;
  set(ctx: Context, id: string): void;
}

export interface SessionIdSettings {
  key: string;
  /** koa-session's `prefix`: the default genid puts it before the UUID */
  prefix?: string;
  /** the app's own `genid`: its ids cannot be recognised by shape, so they must be signed */
  genid?: unknown;
  /** the app's own `externalKey` */
  externalKey?: ExternalKey;
}

const UUID_V4 = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';
/** Ids of a custom genid (signed): printable, and without `{`/`}`, which would name a Redis hash tag or an index key. */
const SAFE_ID = /^[\x21-\x7a\x7c\x7e]{1,256}$/;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The test a client-supplied session id must pass before it becomes a store key: exactly the shape
 * of koa-session's default genid (`prefix` + `crypto.randomUUID()`), or, for an app's own genid
 * (whose ids are signed), a printable id of at most 256 characters without `{` or `}`.
 */
export function sessionIdTest(settings: SessionIdSettings): (id: string) => boolean {
  if (settings.genid) return id => SAFE_ID.test(id);
  const shape = new RegExp(`^${escapeRegExp(settings.prefix ?? '')}${UUID_V4}$`);
  return id => shape.test(id);
}

/**
 * Throws at boot for a configuration whose ids cannot be authenticated: an app's own genid makes
 * ids this plugin cannot recognise, so they must come back signed in its own cookie.
 */
export function assertSessionIdsCanBeTrusted(settings: { genid?: unknown; externalKey?: unknown; signed: boolean }): void {
  if (!settings.genid) return;
  if (settings.externalKey) {
    throw new TypeError('[egg-session-plus] config.session.externalKey with a custom config.session.genid: the plugin cannot ' +
      'authenticate such ids. Use the default genid (optionally with config.session.prefix), whose ids it checks by shape');
  }
  if (!settings.signed) {
    throw new TypeError('[egg-session-plus] config.session.signed is false with a custom config.session.genid: ' +
      'ids of a custom genid are accepted only in a cookie signed with config.keys. Remove signed: false, or the custom genid');
  }
}

/** The public reference of a store session: a hash of its id, which is the credential (lists and logs show this). */
export function refOf(id: string): string {
  return createHash('sha256').update(id).digest('base64url').slice(0, 22);
}

/** Where a store session's id travels (the cookie, or the app's `externalKey`), with the request's session options. */
export interface SessionIds {
  get(ctx: Context, options: Record<string, any>): string | undefined;
  set(ctx: Context, id: string, options: Record<string, any>): void;
}

/**
 * The one place a client-supplied id is read and checked. An id that fails the test never reaches
 * the store: the request starts a fresh session and `session:invalid` is emitted, as for any
 * unreadable cookie.
 */
export function createSessionIdReader(app: Application, settings: SessionIdSettings): SessionIds {
  const trusted = sessionIdTest(settings);
  const custom = settings.externalKey;
  const reject = (ctx: Context, id: string) => {
    // emitted later, as koa-session emits its events
    setImmediate(() => app.emit('session:invalid', { key: undefined, value: describeCookie(id), ctx }));
    return undefined;
  };
  return {
    get(ctx, options) {
      const id: unknown = custom ? custom.get(ctx) : ctx.cookies.get(options.key, options);
      if (typeof id !== 'string' || !id) {
        // a signed id cookie whose signature is missing or wrong reads as nothing: say so
        const raw = !custom && options.signed ? ctx.cookies.get(options.key, { signed: false }) : undefined;
        return raw ? reject(ctx, raw) : undefined;
      }
      return trusted(id) ? id : reject(ctx, id);
    },
    set(ctx, id, options) {
      if (custom) custom.set(ctx, id);
      else ctx.cookies.set(options.key, id, options);
    },
  };
}
