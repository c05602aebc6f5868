import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MockApplication } from '@eggjs/mock';
import { Keygrip } from '@eggjs/cookies';
import type { Redis } from 'ioredis';
import { bootApp, closeApp, redisClient, type AppConfig, type BootOptions } from './boot.js';
import { fetchReply, serve, type Served } from './http.js';

/**
 * Shared by the security tests (issue 14): booting one fixture app per configuration, judging
 * Redis keyspaces, recording session events and minting @eggjs/session's legacy cookies.
 * Additive only: other security test files import from here.
 */

/** The id shape koa-session's default genid (`crypto.randomUUID()`) makes. */
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export interface BootedApp {
  app: MockApplication;
  http: Served;
  close(): Promise<void>;
}

/**
 * The security tests' cookie app (routes test/fixtures/base/routes/security-cookie.js) with `session`
 * as its config.session; `csrf` turns egg's CSRF protection on, `decodeTable` picks the user `decode`
 * that maps the cookie value to a canned object (variant 'decode-table').
 */
export function securityCookieApp(session: Record<string, unknown> = {}, { csrf = false, decodeTable = false } = {}): { config: AppConfig; options: BootOptions } {
  return {
    config: {
      keys: 'sec-cookie-key-1,sec-cookie-key-0',
      fixture: { routes: 'security-cookie' },
      security: { csrf: { enable: csrf } },
      // rejected cookies are logged as [session][invalid] warnings: keep them in the log files
      logger: { consoleLevel: 'NONE' },
      session,
    },
    options: decodeTable ? { variant: 'decode-table' } : {},
  };
}

/**
 * The security tests' store app: redis-app (routes test/fixtures/base/routes/security-store.js)
 * with `session` as its config.session and its Redis client on `redisPort`.
 */
export function securityStoreApp(session: Record<string, unknown>, redisPort?: number): AppConfig {
  return {
    keys: 'security-store-key-1,security-store-key-0',
    fixture: { routes: 'security-store' },
    // rejected ids are logged as [session][invalid] warnings: keep them in the log files only
    logger: { consoleLevel: 'NONE' },
    session,
    redis: redisClient(redisPort ?? 0, { connectTimeout: 500 }),
  };
}

/** Boots securityStoreApp(session, redisPort) (with boot `options`: a variant) and serves it on a loopback port. */
export async function bootWith(session: Record<string, unknown>, redisPort?: number, options?: BootOptions): Promise<BootedApp> {
  const app = await bootApp('redis', securityStoreApp(session, redisPort), options);
  const http = await serve(app.callback());
  return {
    app,
    http,
    async close() {
      await http.close();
      await closeApp(app);
    },
  };
}

export interface Answer {
  status: number;
  body: any;
  text: string;
  setCookies: string[];
  /** the session cookie in Set-Cookie: its raw value, '' when cleared, undefined when not set */
  cookie?: string;
}

/** GET with a raw Cookie header (any value, not encoded) and extra headers. */
export async function send(baseUrl: string, path: string, cookie?: string, headers: Record<string, string> = {}, cookieName = 'EGG_SESS'): Promise<Answer> {
  const { status, body, text, setCookies, ownCookie } = await fetchReply(baseUrl + path,
    { ...(cookie === undefined ? {} : { cookie }), ...headers }, cookieName);
  return { status, body, text, setCookies, cookie: ownCookie };
}

/** The session id (or cookie) a response set; fails when it set none. */
export function issued(answer: Answer, what = 'the response'): string {
  assert.ok(answer.cookie, `${what} sets the session cookie (Set-Cookie: ${JSON.stringify(answer.setCookies)})`);
  return answer.cookie;
}

/** Header that tags a request so that session events can be matched to it. */
export const TAG_HEADER = 'x-security-tag';

/** Records `session:<name>` events by the TAG_HEADER of their request. */
export class EventLog {
  readonly #app: MockApplication;
  readonly #byTag = new Map<string, string[]>();
  readonly #listeners: [string, (payload: any) => void][] = [];

  constructor(app: MockApplication, names = [ 'invalid', 'missed', 'expired', 'error' ]) {
    this.#app = app;
    for (const name of names) {
      const listener = (payload: any) => {
        const tag = payload?.ctx?.get?.(TAG_HEADER);
        if (tag) this.#byTag.set(tag, [ ...(this.#byTag.get(tag) ?? []), name ]);
      };
      app.on(`session:${name}`, listener);
      this.#listeners.push([ `session:${name}`, listener ]);
    }
  }

  /** Events of `tag`'s request; waits a moment first (koa-session emits on setImmediate). */
  async of(tag: string): Promise<string[]> {
    await sleep(20);
    return this.#byTag.get(tag) ?? [];
  }

  stop(): void {
    for (const [ name, listener ] of this.#listeners) this.#app.removeListener(name, listener);
  }
}

export interface KeyState {
  type: string;
  /** DUMP of the value, hex */
  dump: string;
}

/** Type and DUMP of every key in the database (SCAN, bounded by the key count). */
export async function keyspace(redis: Redis): Promise<Map<string, KeyState>> {
  const keys = new Set<string>();
  let cursor = '0';
  for (let round = 0; round < 10_000; round++) {
    const [ next, batch ] = await redis.scan(cursor, 'COUNT', 1000);
    for (const key of batch) keys.add(key);
    cursor = next;
    if (cursor === '0') break;
  }
  const states = new Map<string, KeyState>();
  for (const key of [ ...keys ].sort()) {
    const [ type, dump ] = await Promise.all([ redis.type(key), redis.dumpBuffer(key) ]);
    if (type !== 'none' && dump) states.set(key, { type, dump: dump.toString('hex') });
  }
  return states;
}

/** Why `after` is not `before` with every old key unchanged; new keys are listed for the caller to judge. */
export function keyspaceChanges(before: Map<string, KeyState>, after: Map<string, KeyState>): { changed: string[]; added: string[] } {
  const changed: string[] = [];
  for (const [ key, state ] of before) {
    const now = after.get(key);
    if (!now) changed.push(`${key} (${state.type}) was deleted`);
    else if (now.type !== state.type || now.dump !== state.dump) changed.push(`${key} (${state.type}) changed`);
  }
  const added = [ ...after.keys() ].filter(key => !before.has(key));
  return { changed, added };
}

/** Waits until the app's @eggjs/redis client is connected again (after a restart of its server). */
export async function redisReady(app: MockApplication, timeoutMs = 5000): Promise<void> {
  const client = Reflect.get(app, 'redis') as { status: string; ping(): Promise<string> };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (client.status === 'ready') {
      try {
        await client.ping();
        return;
      } catch {
        // not yet
      }
    }
    await sleep(50);
  }
  throw new Error(`the app's Redis client did not reconnect within ${timeoutMs} ms (status ${client.status})`);
}

/** koa-session's cookie encoding (what @eggjs/session writes): base64 of the JSON. */
function base64Json(data: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(data)).toString('base64');
}

/** @eggjs/session's data fields of a cookie that is valid for another `maxAge` ms. */
export function legacyData(fields: Record<string, unknown>, maxAge = 24 * 3600 * 1000): Record<string, unknown> {
  return { ...fields, _expire: Date.now() + maxAge, _maxAge: maxAge };
}

/**
 * A Cookie header holding a signed legacy cookie, as @eggjs/session 4 writes it by default:
 * `name=<base64 JSON>; name.sig=<egg's keygrip signature>`, signed with the first of `keys`.
 */
export function signedLegacyCookie(keys: string[], data: Record<string, unknown>, name = 'EGG_SESS'): string {
  const value = base64Json(data);
  const sig = new Keygrip(keys).sign(`${name}=${value}`);
  return `${name}=${value}; ${name}.sig=${sig}`;
}

/** A Cookie header holding an egg-encrypted legacy cookie (`ctx.cookies.set(name, v, { encrypt: true })`). */
export function encryptedLegacyCookie(keys: string[], data: Record<string, unknown>, name = 'EGG_SESS'): string {
  const encrypted = new Keygrip(keys).encrypt(base64Json(data));
  // utility's url-safe base64encode, as @eggjs/cookies uses it: padding kept
  return `${name}=${encrypted.toString('base64').replace(/\+/g, '-').replace(/\//g, '_')}`;
}

/**
 * A request left in flight while the test goes on: its failure is kept, not thrown, so that a
 * failing assertion meanwhile cannot leave an unhandled rejection behind; `await` it in a finally.
 */
export function inFlight<T>(work: Promise<T>): Promise<T | Error> {
  return work.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
}

/**
 * Holds the next slow route of `app` once it has loaded its session (the fixtures' app.securityHold):
 * `arrival` resolves then, `release()` lets it finish and removes the hold.
 */
export function holdSlowRequest(app: object): { arrival: Promise<void>; release(): void } {
  let arrived!: () => void;
  let unblock!: () => void;
  const arrival = new Promise<void>(resolve => { arrived = resolve; });
  const released = new Promise<void>(resolve => { unblock = resolve; });
  Reflect.set(app, 'securityHold', { arrived, released });
  return {
    arrival,
    release() {
      unblock();
      Reflect.deleteProperty(app, 'securityHold');
    },
  };
}

/** `work`, or a rejection with `message` after `ms`; the timer is cleared either way. */
export async function within<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([ work, timeout ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A UUID in genid's shape. */
export function uuid(): string {
  return crypto.randomUUID();
}
