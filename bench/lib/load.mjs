import autocannon from 'autocannon';

const EXPECTED_USER = 'u-1234567890';
const FETCH_TIMEOUT_MS = 10_000;

/** `name=value` pairs of every Set-Cookie line, ready for a Cookie header. */
function cookieHeader(response) {
  return response.headers.getSetCookie()
    .map(line => line.split(';', 1)[0])
    .filter(pair => pair.indexOf('=') < pair.length - 1) // skip deletions (`name=`)
    .join('; ');
}

/**
 * Creates the session every load request then carries (GET /login), and checks that the route
 * really sees it. Returns the Cookie header and whether the route answers with Set-Cookie.
 */
export async function prepareSession(server, variant) {
  const base = `http://127.0.0.1:${server.port}`;
  const login = await fetch(`${base}/login?bytes=${variant.bytes ?? 0}`, { redirect: 'manual', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (login.status !== 200) throw new Error(`${variant.name}: /login answered ${login.status}`);
  const cookie = cookieHeader(login);
  if (variant.app !== 'baseline' && !cookie) throw new Error(`${variant.name}: /login set no session cookie`);

  const probe = await fetch(base + variant.route, { headers: { cookie }, redirect: 'manual', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  const body = await probe.json().catch(() => undefined);
  if (probe.status !== 200 || body?.user !== EXPECTED_USER) {
    throw new Error(`${variant.name}: ${variant.route} did not see the session (status ${probe.status}, body ${JSON.stringify(body)})`);
  }
  return {
    cookie,
    cookieBytes: cookie.length,
    // egg signs a cookie with a second `<name>.sig` cookie
    signed: cookie.split('; ').some(pair => pair.split('=', 1)[0].endsWith('.sig')),
    setCookie: probe.headers.getSetCookie().length > 0,
  };
}

/** The Cookie header after a response's Set-Cookie lines, as a browser keeps its cookie jar. */
function applySetCookie(cookie, setCookie) {
  const split = pair => {
    const at = pair.indexOf('=');
    return [ pair.slice(0, at), pair.slice(at + 1) ];
  };
  const jar = new Map(cookie ? cookie.split('; ').map(split) : []);
  for (const line of [ setCookie ].flat()) {
    const [ name, value ] = split(line.split(';', 1)[0]);
    if (value) jar.set(name, value);
    else jar.delete(name);
  }
  return [ ...jar ].map(([ name, value ]) => `${name}=${value}`).join('; ');
}

/**
 * Each connection sends the cookies of its previous response, like one browser tab. Responses
 * that no longer see the session are counted in `lost`.
 */
function chainedRequests(cookie, lost) {
  return [{
    setupRequest(request, context) {
      request.headers = { ...request.headers, cookie: context.cookie ?? cookie };
      return request;
    },
    onResponse(status, body, context, headers) {
      if (String(body).includes('"user":null')) lost.count++;
      const setCookie = headers['set-cookie'] ?? headers['Set-Cookie'];
      if (setCookie) context.cookie = applySetCookie(context.cookie ?? cookie, setCookie);
    },
  }];
}

/**
 * One bounded autocannon load against 127.0.0.1: every request sends `cookie`, or with `chain`
 * the cookie its connection got last.
 */
export async function load({ port, route, cookie, seconds, connections, chain = false }) {
  const lost = { count: 0 };
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${route}`,
    connections,
    duration: seconds,
    headers: cookie && !chain ? { cookie } : {},
    ...(chain ? { requests: chainedRequests(cookie, lost) } : {}),
  });
  const failed = result.non2xx + result.errors + result.timeouts + lost.count;
  return {
    requests: result.requests.total,
    rps: result.requests.total / result.duration,
    p99: result.latency.p99,
    failed,
  };
}
