// A client without cookies, as a mini-program or a native app is: it keeps the session id it is given in
// the X-Session-Id response header and sends it back in the request header; an empty header ends it.
//   SESSION_STORE=redis npm run example     (in one shell)
//   node example/client.mjs [http://127.0.0.1:7001]
const base = process.argv[2] ?? 'http://127.0.0.1:7001';
let sessionId;

async function call(method, path, body) {
  const headers = { 'content-type': 'application/json' };
  if (sessionId) headers['x-session-id'] = sessionId;
  const res = await fetch(base + path, { method, headers, body: body && JSON.stringify(body) });
  const id = res.headers.get('x-session-id');
  if (id !== null) sessionId = id || undefined; // '' : the session ended
  console.log(`${method} ${path} -> ${res.status} ${await res.text()}  (session id: ${id === null ? 'unchanged' : id || 'ended'})`);
}

await call('POST', '/api/login', { name: 'alice', password: 'wonderland' });
await call('GET', '/api/me');
await call('POST', '/api/logout');
await call('GET', '/api/me');
