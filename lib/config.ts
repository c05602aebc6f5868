import { z } from 'zod';
import { SessionOptions } from 'koa-session';
import { isSessionStore } from './store/adapter.js';
import { MAX_LIFETIME } from './request/hidden.js';
import defaults from '../config/config.default.js';

// a union's own message instead of zod's generic "Invalid input"
const unionMessage = (message: string): z.RawCreateParams =>
  ({ errorMap: (issue, ctx) => ({ message: issue.code === 'invalid_union' ? message : ctx.defaultError }) });

const milliseconds = z.number().int().positive();
const count = z.number().int().positive();
const BROWSER_COOKIE_BYTES = 4096; // what browsers keep of one cookie (RFC 6265bis: name and value together)
const MAX_STORE_TIMEOUT = 60_000; // a store call that may take longer is an outage, not a slow answer
const SAME_SITE = /^(?:none|lax|strict)$/i; // what egg's cookies accept (any case)
// a header of the app's own: `x-…`, none that browsers, proxies or egg's security plugin read or write
const OWN_HEADER = new RegExp('^x-(?!(?:frame-options|content-type-options|xss-protection|csrf-?token|xsrf-token|forwarded(?:-.*)?|real-ip|client-ip|' +
  'cluster-client-ip|http-method-override|requested-with|powered-by|download-options|dns-prefetch-control|permitted-cross-domain-policies|readtime|' +
  'request-id|original-url|rewrite-url|cache|amz-.*)$)[\\w-]+$', 'i');
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/; // RFC 6265 token: no separators, spaces or control characters

// koa-session's own options, checked more strictly
const KOA_OPTIONS = {
  key: z.string().regex(COOKIE_NAME, 'must be a cookie name: letters, digits and !#$%&\'*+-.^_`|~ only'),
  maxAge: z.union([ milliseconds.max(MAX_LIFETIME), z.literal('session') ],
    unionMessage("must be a positive integer (milliseconds) up to 400 days (34560000000, the browsers' cap) or 'session'")),
  // koa-session takes a string only; null (as unset) is dropped by it
  sameSite: z.custom<string | null>(value => value === null || (typeof value === 'string' && SAME_SITE.test(value)),
    { message: "must be 'lax', 'strict' or 'none'" }),
};

// this plugin's own options (and @eggjs/session's `logValue`): kept out of the options koa-session copies per request
const PLUGIN_OPTIONS = {
  store: z.union([ z.enum([ 'cookie', 'memory', 'redis' ]), z.custom<object>(isSessionStore) ],
    unionMessage("must be 'cookie', 'memory', 'redis' or an object with get/set/destroy")),
  logValue: z.boolean(), encrypt: z.boolean(), upgradeLegacyCookies: z.boolean(), legacyEncryptedCookies: z.boolean(),
  sessionTTL: milliseconds.max(MAX_LIFETIME), rotateCsrfOnRegenerate: z.boolean(), regenerateOnSignIn: z.boolean(), destroyOnSignOut: z.boolean(),
  cookieSizeLimit: count.max(BROWSER_COOKIE_BYTES, `must be at most ${BROWSER_COOKIE_BYTES}: browsers drop larger cookies`),
  onCookieTooLarge: z.enum([ 'error', 'warn', 'split' ]), maxCookieChunks: z.number().int().min(2).max(20),
  storeTimeout: z.number().int().nonnegative().max(MAX_STORE_TIMEOUT), onStoreError: z.enum([ 'fail', 'anonymous' ]), absoluteMaxAge: milliseconds,
  userKey: z.union([ z.string().min(1), z.function() ], unionMessage("must be a key, a dotted path such as 'passport.user.id', or a function of the session")),
  maxSessionsPerUser: z.union([ z.number().int().nonnegative(), z.literal(Infinity) ], unionMessage('must be a whole number (0 or Infinity: no bound)')),
  maxSessionsPreventsLogin: z.boolean(),
  idHeader: z.string().refine(name => OWN_HEADER.test(name), 'must be a header of your own, x-… (x-session-id), that browsers, proxies and egg do not use'),
  idHeaderOnly: z.boolean(),
  // control.enable unset: on with store 'redis'; true also with cookie/memory/custom stores (needs @eggjs/redis)
  control: z.object({ enable: z.boolean().optional(), touchInterval: z.number().int().nonnegative() }).strict().partial(),
  redis: z.object({ client: z.string().min(1), prefix: z.string(), sessionTTL: milliseconds, merge: z.boolean() }).strict().partial(),
  memory: z.object({ maxEntries: count, sessionTTL: milliseconds }).strict().partial(),
};

/** The keys koa-session is not given (lib/request/setup.ts). */
export const PLUGIN_KEYS: ReadonlySet<string> = new Set(Object.keys(PLUGIN_OPTIONS));

// Other top-level keys pass (cookie options such as partitioned, priority; egg's enable, match, ignore), with a warning for a likely typo; the nested
// objects (control, redis, memory) take only their own keys, so a typo there fails the boot.
const KnownOptions = SessionOptions.extend({ ...KOA_OPTIONS, ...PLUGIN_OPTIONS }).partial();
export const SessionConfigSchema = KnownOptions.passthrough();
type Output = z.output<typeof KnownOptions>;
type Defaults = typeof defaults.session;
type Nested = 'control' | 'redis' | 'memory';
export type SessionConfig = z.input<typeof SessionConfigSchema>;
type Defaulted = Exclude<keyof Defaults, Nested>;
type Filled<T, D> = T & Required<Pick<T, keyof D & keyof T>>;
/** `config.session` at runtime: the app's config over the defaults of config/config.default.ts. */
export type ResolvedSessionConfig = Omit<Output, Defaulted | Nested | 'onCookieTooLarge'> &
  { [K in Defaulted]-?: NonNullable<Output[K]> } & { [K in Nested]: Filled<NonNullable<Output[K]>, Defaults[K]> } &
  { onCookieTooLarge: 'error' | 'warn' | 'split'; [key: string]: unknown };

// ` (got <value>)` for a primitive at `path` of the config, unless the message shows it already
function describeReceived(config: unknown, path: (string | number)[], message: string): string {
  const value = path.reduce<unknown>((node, key) => (node as Record<string | number, unknown> | undefined)?.[key], config);
  if (value === null || value === undefined || typeof value === 'object' || typeof value === 'function' || message.includes(`'${value}'`)) return '';
  return ` (got ${JSON.stringify(value)})`;
}

/** Throws one error naming every bad key. */
export function validateSessionConfig(config: unknown): void {
  const result = SessionConfigSchema.safeParse(config);
  if (result.success) return;
  const problems = result.error.issues.map(issue =>
    `${[ 'config', 'session', ...issue.path ].join('.')}: ${issue.message}${describeReceived(config, issue.path, issue.message)}`);
  throw new TypeError(`[egg-session-plus] invalid session config: ${problems.join('; ')}`);
}

// keys egg itself reads from a middleware's config, and cookie options egg's cookies take
const OTHER_KEYS = [ 'enable', 'match', 'ignore', 'domain', 'path', 'secure', 'partitioned', 'priority', 'expires', 'encrypt' ];
const KNOWN_KEYS = [ ...Object.keys(SessionConfigSchema.shape), ...OTHER_KEYS ];

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [ i ];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/** Boot warnings for keys that do nothing: an unknown top-level key (with the closest known key), options of a store not in use. */
export function configWarnings(config: ResolvedSessionConfig, redisInUse: boolean): string[] {
  const warnings: string[] = [];
  for (const key of Object.keys(config)) {
    if (KNOWN_KEYS.includes(key)) continue;
    const closest = KNOWN_KEYS.reduce((best, known) => (editDistance(key, known) < editDistance(key, best) ? known : best));
    warnings.push(`config.session.${key} is not an option of this plugin or of koa-session (did you mean ${closest}?): it is ignored`);
  }
  const set = (name: 'redis' | 'memory') =>
    Object.entries(config[name]).some(([ key, value ]) => (defaults.session[name] as Record<string, unknown>)[key] !== value);
  if (!redisInUse && set('redis')) warnings.push("config.session.redis is set, but neither store 'redis' nor session control is in use: it is ignored");
  if (config.store !== 'memory' && set('memory')) warnings.push("config.session.memory is set, but config.session.store is not 'memory': it is ignored");
  return warnings;
}
