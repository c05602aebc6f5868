import http from 'node:http';
import type { EventEmitter } from 'node:events';

/**
 * Sending hostile cookies and judging the answers: shared by the hardening tests and
 * `npm run stress` (transpiled there, so node builtins only).
 */

/** Request header that tags a request with its case number, so events can be matched to cases. */
export const CASE_HEADER = 'x-hostile-case';
export const SESSION_EVENTS = [ 'invalid', 'expired', 'missed' ] as const;

export interface Reply {
  status: number;
  body: any;
  setCookies: string[];
}

/** GET `path` on 127.0.0.1 with raw headers (a Cookie header may hold any latin1 byte); bounded by `timeoutMs`. */
export function getRaw(agent: http.Agent, port: number, path: string, headers: Record<string, string>, timeoutMs = 10_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent, headers, timeout: timeoutMs }, res => {
      const chunks: Buffer[] = [];
      res.on('data', chunk => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body, setCookies: res.headers['set-cookie'] ?? [] });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** Runs `work` over `items` with at most `concurrency` at a time. */
export async function runBounded<T>(items: Iterable<T>, concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  const iterator = items[Symbol.iterator]();
  const worker = async () => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) await work(next.value);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** The value `Set-Cookie` gives cookie `name`: undefined when not set, '' when cleared. */
export function setCookieValue(setCookies: string[], name: string): string | undefined {
  const line = setCookies.find(cookie => cookie.startsWith(`${name}=`));
  return line === undefined ? undefined : line.slice(name.length + 1).split(';')[0];
}

/**
 * Why `reply` is not a 2xx with a fresh, empty session and an untouched Object.prototype
 * (`baseline` is what the app's `/proto` route answered before any hostile request); [] when it is.
 */
export function freshSessionProblems(reply: Reply, cookieName: string, baseline: unknown): string[] {
  const problems: string[] = [];
  if (reply.status < 200 || reply.status > 299) {
    problems.push(`status ${reply.status}: ${String(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body)).slice(0, 200)}`);
    return problems;
  }
  const body = reply.body;
  if (typeof body !== 'object' || body === null) return [ `body is not JSON: ${String(body).slice(0, 200)}` ];
  if (JSON.stringify(body.session) !== '{}') problems.push(`session not empty: ${JSON.stringify(body.session).slice(0, 200)}`);
  if (body.isNew !== true) problems.push(`isNew is ${body.isNew}`);
  if (body.prototype !== 'Session') problems.push(`ctx.session's prototype is ${body.prototype}`);
  if (JSON.stringify(body.proto) !== JSON.stringify(baseline)) problems.push(`Object.prototype in the app changed: ${JSON.stringify(body.proto)}`);
  // an empty new session is not written; clearing a bad cookie (or its .sig) is fine
  const written = setCookieValue(reply.setCookies, cookieName);
  if (written) problems.push(`the response sets ${cookieName}=${written.slice(0, 60)}`);
  return problems;
}

/** Session events by case number (CASE_HEADER), as the app emitted them. */
export type EventsByCase = Record<string, string[]>;

/**
 * Starts recording `app`'s session events of tagged requests; the returned function stops
 * recording and hands them over (runHostileCases' `seenEvents` for an app in this process).
 */
export function recordSessionEvents(app: EventEmitter): () => Promise<EventsByCase> {
  const byCase: EventsByCase = {};
  const listeners = [ ...SESSION_EVENTS, 'error' ].map(name => {
    const listener = (payload: any) => {
      const id = payload?.ctx?.get?.(CASE_HEADER);
      if (id) (byCase[id] ??= []).push(name);
    };
    app.on(`session:${name}`, listener);
    return [ `session:${name}`, listener ] as const;
  });
  return async () => {
    for (const [ name, listener ] of listeners) app.removeListener(name, listener);
    return byCase;
  };
}

/** Case outcomes by kind, for the printed summary. */
export class KindSummary {
  readonly rows = new Map<string, { cases: number; failed: number }>();

  add(kind: string, failed: boolean): void {
    const row = this.rows.get(kind) ?? { cases: 0, failed: 0 };
    row.cases++;
    if (failed) row.failed++;
    this.rows.set(kind, row);
  }

  toString(): string {
    return [ ...this.rows ].map(([ kind, row ]) => `${kind}: ${row.cases}${row.failed ? ` (${row.failed} FAILED)` : ''}`).join(', ');
  }
}

/** What every hostile case has: its number, family and the one session event it must cause. */
export interface TaggedCase {
  index: number;
  kind: string;
  label: string;
  expect: string;
}

export interface HostileRunOptions {
  /** the session events of every tagged case, read once the last case has answered */
  seenEvents(): Promise<EventsByCase>;
  /** send no new case after this many ms */
  deadlineMs?: number;
}

export interface HostileRunResult {
  /** cases sent (fewer than generated when the deadline passed) */
  cases: number;
  timedOut: boolean;
  /** one line per failed case: its answer or its events were wrong */
  failures: string[];
  /** cases that did not emit exactly their one expected session event */
  eventMismatches: number;
  /** session events of the tagged cases, by name */
  totals: Record<string, number>;
  /** session events the cases declared, by name */
  wanted: Record<string, number>;
  summary: KindSummary;
  /** from the first case sent to the last answer */
  ms: number;
}

/**
 * Sends the cases with bounded concurrency: `send` makes the request (tagged with CASE_HEADER) and
 * returns what is wrong with the answer. Then each case must have caused exactly its expected event.
 */
export async function runHostileCases<T extends TaggedCase>(cases: Iterable<T>, concurrency: number,
  send: (hostile: T) => Promise<string[]>, options: HostileRunOptions): Promise<HostileRunResult> {
  const summary = new KindSummary();
  const failures: string[] = [];
  const expected = new Map<string, string>();
  const started = Date.now();
  let timedOut = false;
  await runBounded(cases, concurrency, async hostile => {
    if (options.deadlineMs !== undefined && Date.now() - started > options.deadlineMs) {
      timedOut = true;
      return;
    }
    expected.set(String(hostile.index), hostile.expect);
    let problems: string[];
    try {
      problems = await send(hostile);
    } catch (error) {
      problems = [ `request failed: ${(error as Error).message}` ];
    }
    summary.add(hostile.kind, problems.length > 0);
    if (problems.length) failures.push(`#${hostile.index} ${hostile.kind} (${hostile.label}): ${problems.join('; ')}`);
  });
  const ms = Date.now() - started;
  // koa-session emits its events on setImmediate
  await new Promise(resolve => setTimeout(resolve, 200));
  const seen = await options.seenEvents();
  const totals: Record<string, number> = { invalid: 0, expired: 0, missed: 0, error: 0 };
  for (const events of Object.values(seen)) for (const name of events) totals[name]++;
  const wanted: Record<string, number> = { invalid: 0, expired: 0, missed: 0, error: 0 };
  let eventMismatches = 0;
  for (const [ id, event ] of expected) {
    wanted[event]++;
    const events = seen[id] ?? [];
    if (events.length === 1 && events[0] === event) continue;
    eventMismatches++;
    failures.push(`#${id}: events ${JSON.stringify(events)}, expected ["${event}"]`);
  }
  return { cases: expected.size, timedOut, failures, eventMismatches, totals, wanted, summary, ms };
}

/** Everything a prototype-pollution attempt could have changed on Object.prototype. */
export function objectPrototypeSnapshot(): string {
  return JSON.stringify(Reflect.ownKeys(Object.prototype).map(String).sort()) +
    JSON.stringify(Object.getOwnPropertyNames(Object.prototype).map(name => {
      const descriptor = Object.getOwnPropertyDescriptor(Object.prototype, name)!;
      return [ name, typeof descriptor.value, typeof descriptor.get, typeof descriptor.set ];
    }));
}
