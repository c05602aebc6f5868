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

/** Counts session:invalid / expired / missed / error per tagged case while attached to `app`. */
export class EventTally {
  readonly byCase = new Map<string, string[]>();
  /** events of requests without the case header */
  untagged = 0;
  readonly #app: EventEmitter;
  readonly #listeners: Array<[string, (payload: any) => void]> = [];

  constructor(app: EventEmitter) {
    this.#app = app;
    for (const name of [ ...SESSION_EVENTS, 'error' ]) {
      const listener = (payload: any) => {
        const id = payload?.ctx?.get?.(CASE_HEADER);
        if (!id) {
          this.untagged++;
          return;
        }
        const seen = this.byCase.get(id) ?? [];
        seen.push(name);
        this.byCase.set(id, seen);
      };
      app.on(`session:${name}`, listener);
      this.#listeners.push([ `session:${name}`, listener ]);
    }
  }

  /** Totals per event name. */
  totals(): Record<string, number> {
    const totals: Record<string, number> = { invalid: 0, expired: 0, missed: 0, error: 0 };
    for (const events of this.byCase.values()) for (const name of events) totals[name]++;
    return totals;
  }

  /** Problems with case `id`, which must have emitted exactly `expected` once and nothing else. */
  problems(id: string, expected: string): string[] {
    const seen = this.byCase.get(id) ?? [];
    return seen.length === 1 && seen[0] === expected ? [] : [ `events ${JSON.stringify(seen)}, expected ["${expected}"]` ];
  }

  detach(): void {
    for (const [ name, listener ] of this.#listeners) this.#app.removeListener(name, listener);
  }
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

export interface HostileRunResult {
  /** one line per failed case: its answer or its events were wrong */
  failures: string[];
  /** session events seen, by name */
  totals: Record<string, number>;
  /** session events the cases declared, by name */
  wanted: Record<string, number>;
  summary: KindSummary;
  ms: number;
}

/**
 * Runs the cases with bounded concurrency against `app` (an egg app, for its session events):
 * `send` makes the request (tagged with CASE_HEADER) and returns what is wrong with the answer.
 */
export async function runHostileCases<T extends TaggedCase>(app: EventEmitter, cases: Iterable<T>, concurrency: number,
  send: (hostile: T) => Promise<string[]>): Promise<HostileRunResult> {
  const tally = new EventTally(app);
  const summary = new KindSummary();
  const failures: string[] = [];
  const expected = new Map<string, string>();
  const started = Date.now();
  await runBounded(cases, concurrency, async hostile => {
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
  // koa-session emits its events on setImmediate
  await new Promise(resolve => setTimeout(resolve, 100));
  tally.detach();
  const wanted: Record<string, number> = { invalid: 0, expired: 0, missed: 0, error: 0 };
  for (const [ id, event ] of expected) {
    wanted[event]++;
    const problems = tally.problems(id, event);
    if (problems.length) failures.push(`#${id}: ${problems.join('; ')}`);
  }
  return { failures, totals: tally.totals(), wanted, summary, ms: Date.now() - started };
}
