import { fetchReply } from './http.js';

export interface Reply {
  status: number;
  body: any;
  setCookies: string[];
  /** the session cookie's value in Set-Cookie: '' when cleared, undefined when not sent */
  sessionCookie?: string;
}

const COOKIE = 'EGG_SESS';

/** A browser on one device: keeps its cookies (expired/cleared ones are dropped) and a user agent. */
export class Device {
  readonly cookies = new Map<string, string>();
  readonly baseUrl: string;
  readonly userAgent: string;

  constructor(baseUrl: string, userAgent = 'test-device') {
    this.baseUrl = baseUrl;
    this.userAgent = userAgent;
  }

  get sessionCookie(): string | undefined {
    return this.cookies.get(COOKIE);
  }

  /** Another device (or tab) holding the same cookies right now. */
  clone(userAgent = this.userAgent): Device {
    const copy = new Device(this.baseUrl, userAgent);
    for (const [ name, value ] of this.cookies) copy.cookies.set(name, value);
    return copy;
  }

  async get(path: string): Promise<Reply> {
    const cookie = [ ...this.cookies ].map(([ name, value ]) => `${name}=${value}`).join('; ');
    const headers: Record<string, string> = { 'user-agent': this.userAgent };
    if (cookie) headers.cookie = cookie;
    const { status, body, setCookies } = await fetchReply(this.baseUrl + path, headers, COOKIE);
    let sessionCookie: string | undefined;
    for (const line of setCookies) {
      const [ pair, ...attributes ] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expires = attributes.map(a => a.trim()).find(a => a.toLowerCase().startsWith('expires='));
      const gone = !value || (expires !== undefined && Date.parse(expires.slice(8)) <= Date.now());
      if (gone) this.cookies.delete(name);
      else this.cookies.set(name, value);
      if (name === COOKIE) sessionCookie = gone ? '' : value;
    }
    return { status, body, setCookies, sessionCookie };
  }
}

/** A promise the test resolves by hand. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>(r => { resolve = r; });
  return { promise, resolve };
}

/**
 * Runs `request` against a route that holds (app.scHold, test/fixtures/base/routes/session-control.js), runs
 * `during` once it is held, then lets it finish: the answer of a request that overlapped `during`.
 */
export async function whileHeld<T>(app: object, request: () => Promise<T>, during: () => Promise<unknown>): Promise<T> {
  const arrived = deferred();
  const released = deferred();
  Reflect.set(app, 'scHold', { arrived: arrived.resolve, released: released.promise });
  try {
    const late = request();
    await arrived.promise;
    await during();
    released.resolve();
    return await late;
  } finally {
    Reflect.deleteProperty(app, 'scHold');
  }
}
