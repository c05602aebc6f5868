import { z } from 'zod';
import { SessionOptions } from 'koa-session';
import { isSessionStore } from './store/validate.js';

/** A union's own message instead of zod's generic "Invalid input". */
const unionMessage = (message: string): z.RawCreateParams => ({
  errorMap: (issue, ctx) => ({ message: issue.code === 'invalid_union' ? message : ctx.defaultError }),
});

const storeLike = z.custom<object>(isSessionStore);

const positiveMs = z.number().int().positive();

/** Browsers cap a cookie's lifetime at 400 days (RFC 6265bis); a longer maxAge only makes `expires` wrong. */
export const MAX_COOKIE_LIFETIME = 400 * 24 * 3600 * 1000;
/** What browsers keep of one cookie (RFC 6265bis: name and value together, at least 4096 bytes). */
const BROWSER_COOKIE_BYTES = 4096;
/** A store call that may take longer than this is an outage, not a slow answer. */
export const MAX_STORE_TIMEOUT = 60_000;
// what egg's cookies accept (any case)
const SAME_SITE = /^(?:none|lax|strict)$/i;
// RFC 6265 cookie-name token: no separators, spaces or control characters
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * `config.session`: koa-session's own options, the `@eggjs/session` extras (`logValue`),
 * and this plugin's options. Unknown top-level keys pass through untouched: they are cookie options
 * (partitioned, priority, ...) or egg's middleware options (enable, match, ignore); the plugin's own
 * nested objects (control, redis, memory) take only their own keys, so a typo there fails the boot.
 */
export const SessionConfigSchema = SessionOptions.extend({
  key: z.string().regex(COOKIE_NAME, 'must be a cookie name: letters, digits and !#$%&\'*+-.^_`|~ only').default('EGG_SESS'),
  maxAge: z.union([positiveMs.max(MAX_COOKIE_LIFETIME), z.literal('session')],
    unionMessage("must be a positive integer (milliseconds) up to 400 days (34560000000, the browsers' cap) or 'session'")).optional(),
  store: z.union([z.enum(['cookie', 'memory', 'redis']), storeLike],
    unionMessage("must be 'cookie', 'memory', 'redis' or an object with get/set/destroy")).optional(),
  logValue: z.boolean().default(true),
  encrypt: z.boolean().default(true),
  upgradeLegacyCookies: z.boolean().default(true),
  legacyEncryptedCookies: z.boolean().default(false),
  sessionTTL: positiveMs.max(MAX_COOKIE_LIFETIME).default(24 * 3600 * 1000),
  rotateCsrfOnRegenerate: z.boolean().default(true),
  // koa-session takes a string only; null (as unset) is dropped by it
  sameSite: z.custom<string | null>(value => value === null || (typeof value === 'string' && SAME_SITE.test(value)),
    { message: "must be 'lax', 'strict' or 'none'" }).optional(),
  cookieSizeLimit: positiveMs.max(BROWSER_COOKIE_BYTES, `must be at most ${BROWSER_COOKIE_BYTES}: browsers drop larger cookies`).default(4093),
  onCookieTooLarge: z.enum(['error', 'warn', 'split']).default('warn'),
  maxCookieChunks: z.number().int().min(2).max(20).default(4),
  storeTimeout: z.number().int().nonnegative().max(MAX_STORE_TIMEOUT).default(500),
  onStoreError: z.enum(['fail', 'anonymous']).default('fail'),
  absoluteMaxAge: positiveMs.optional(),
  userKey: z.string().min(1).default('userId'),
  maxSessionsPerUser: positiveMs.optional(),
  control: z.object({
    // default: on with store 'redis'; true also with cookie/memory/custom stores (needs @eggjs/redis)
    enable: z.boolean().optional(),
    touchInterval: z.number().int().nonnegative().default(60_000),
  }).strict().default({}),
  redis: z.object({
    client: z.string().min(1).optional(),
    prefix: z.string().default('sess:'),
    sessionTTL: positiveMs.default(24 * 3600 * 1000),
    merge: z.boolean().default(false),
  }).strict().default({}),
  memory: z.object({
    maxEntries: positiveMs.default(10000),
    sessionTTL: positiveMs.default(24 * 3600 * 1000),
  }).strict().default({}),
}).passthrough();

export type SessionConfig = z.input<typeof SessionConfigSchema>;
export type ResolvedSessionConfig = z.output<typeof SessionConfigSchema>;

/** ` (got <value>)` for a primitive at `path` of the config, so the message shows the bad value. */
function describeReceived(config: unknown, path: (string | number)[]): string {
  const value = path.reduce<unknown>((node, key) => (node as Record<string | number, unknown> | undefined)?.[key], config);
  if (value === null || value === undefined || typeof value === 'object' || typeof value === 'function') return '';
  return ` (got ${JSON.stringify(value)})`;
}

/** Validates `config.session`; throws one error naming every bad key. */
export function validateSessionConfig(config: unknown): void {
  const result = SessionConfigSchema.safeParse(config);
  if (result.success) return;
  const problems = result.error.issues.map(issue => {
    const key = ['config', 'session', ...issue.path].join('.');
    return `${key}: ${issue.message}${describeReceived(config, issue.path)}`;
  });
  throw new TypeError(`[egg-session-plus] invalid session config: ${problems.join('; ')}`);
}
