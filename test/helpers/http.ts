import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** HTTP for tests: a loopback server for an app's callback, and plain GETs that read the session cookie. */

/** One loopback HTTP server for an app's callback, so many requests can run at once. */
export interface Served {
  url: string;
  close(): Promise<void>;
}

export async function serve(callback: http.RequestListener): Promise<Served> {
  const server = http.createServer(callback);
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>(resolve => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export interface Reply {
  status: number;
  body: any;
  /** the session cookie's value in Set-Cookie, '' when cleared, undefined when not set */
  sessionCookie?: string;
  setCookies: string[];
}

/** A fetched answer: status, body (JSON when it parses), text, Set-Cookie lines and the raw value cookie `cookieName` got. */
export interface FetchedReply {
  status: number;
  body: any;
  text: string;
  setCookies: string[];
  /** the raw value of cookie `cookieName` in Set-Cookie, '' when cleared, undefined when not set */
  ownCookie?: string;
}

/** GET `url` with `headers` (bounded at 10 s); parses a JSON body when there is one. */
export async function fetchReply(url: string, headers: Record<string, string>, cookieName: string): Promise<FetchedReply> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // plain text body
  }
  const setCookies = res.headers.getSetCookie();
  const own = setCookies.find(c => c.startsWith(`${cookieName}=`));
  return { status: res.status, body, text, setCookies, ownCookie: own === undefined ? undefined : own.slice(cookieName.length + 1).split(';')[0] };
}

/** GET `path` with the session id as cookie `EGG_SESS`; parses a JSON body when there is one. */
export async function get(baseUrl: string, path: string, sessionId?: string, cookieName = 'EGG_SESS'): Promise<Reply> {
  const headers: Record<string, string> = sessionId ? { cookie: `${cookieName}=${sessionId}` } : {};
  const { status, body, setCookies, ownCookie } = await fetchReply(baseUrl + path, headers, cookieName);
  return { status, body, setCookies, sessionCookie: ownCookie === undefined ? undefined : decodeURIComponent(ownCookie) };
}

/**
 * GET on a new connection each time (no keep-alive), so that requests to an egg cluster are
 * spread over its workers instead of sticking to the one that owns a pooled connection.
 */
export function getOnNewConnection(baseUrl: string, path: string, sessionId?: string, cookieName = 'EGG_SESS'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { connection: 'close' };
    if (sessionId) headers.cookie = `${cookieName}=${sessionId}`;
    const req = http.get(baseUrl + path, { agent: false, headers, timeout: 10_000 }, res => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', chunk => { text += chunk; });
      res.on('end', () => {
        const setCookies = res.headers['set-cookie'] ?? [];
        const own = setCookies.find(c => c.startsWith(`${cookieName}=`));
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // plain text body
        }
        resolve({
          status: res.statusCode ?? 0,
          body,
          setCookies,
          sessionCookie: own === undefined ? undefined : decodeURIComponent(own.slice(cookieName.length + 1).split(';')[0]),
        });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
  });
}
