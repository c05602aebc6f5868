import autocannon from 'autocannon';

const EXPECTED_USER = 'u-1234567890';

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
  const login = await fetch(`${base}/login?bytes=${variant.bytes ?? 0}`, { redirect: 'manual' });
  if (login.status !== 200) throw new Error(`${variant.name}: /login answered ${login.status}`);
  const cookie = cookieHeader(login);
  if (variant.app !== 'baseline' && !cookie) throw new Error(`${variant.name}: /login set no session cookie`);

  const probe = await fetch(base + variant.route, { headers: { cookie }, redirect: 'manual' });
  const body = await probe.json().catch(() => undefined);
  if (probe.status !== 200 || body?.user !== EXPECTED_USER) {
    throw new Error(`${variant.name}: ${variant.route} did not see the session (status ${probe.status}, body ${JSON.stringify(body)})`);
  }
  return {
    cookie,
    cookieBytes: cookie.length,
    setCookie: probe.headers.getSetCookie().length > 0,
  };
}

/** One bounded autocannon load against 127.0.0.1. */
export async function load({ port, route, cookie, seconds, connections }) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${route}`,
    connections,
    duration: seconds,
    headers: cookie ? { cookie } : {},
  });
  const failed = result.non2xx + result.errors + result.timeouts;
  return {
    requests: result.requests.total,
    rps: result.requests.total / result.duration,
    p99: result.latency.p99,
    failed,
  };
}
