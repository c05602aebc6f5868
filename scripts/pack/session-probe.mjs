import assert from 'node:assert/strict';

function sessionCookie(res, key) {
  const cookies = res.headers.getSetCookie();
  assert.ok(!cookies.some(c => c.startsWith(`${key}.sig=`)), `no ${key}.sig cookie expected: ${cookies}`);
  return cookies.find(c => c.startsWith(`${key}=`));
}

async function getJSON(url, cookie) {
  const res = await fetch(url, { headers: cookie ? { cookie } : {}, signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200, `${url} answered ${res.status}: ${await res.clone().text()}`);
  return { res, body: await res.json() };
}

/**
 * Proves over HTTP that sessions work and that egg-session-plus serves them: the cookie is the
 * sealed `v2.` format without a `.sig` cookie (@eggjs/session sets signed base64 JSON plus `.sig`).
 */
export async function probeSealedSession(baseUrl, key = 'EGG_SESS') {
  const fresh = await getJSON(`${baseUrl}/get`);
  assert.deepEqual(fresh.body, { name: null, isNew: true });
  assert.equal(sessionCookie(fresh.res, key), undefined, 'an untouched session must not set a cookie');

  const name = `smoke-${Date.now()}`;
  const set = await getJSON(`${baseUrl}/set?name=${name}`);
  const setCookie = sessionCookie(set.res, key);
  assert.ok(setCookie, 'setting a session value must set the session cookie');
  assert.match(setCookie, /; httponly/i);
  const pair = setCookie.split(';')[0];
  const value = pair.slice(key.length + 1);
  assert.ok(value.startsWith('v2.'), `expected a sealed v2. cookie, got ${pair}`);
  assert.ok(!Buffer.from(value.slice(3), 'base64url').toString('latin1').includes(name),
    'the session value must not be readable from the cookie');

  const read = await getJSON(`${baseUrl}/get`, pair);
  assert.deepEqual(read.body, { name, isNew: false }, 'the next request must read the session back');

  const at = key.length + 1 + 12; // a byte inside the ciphertext
  const tampered = `${pair.slice(0, at)}${pair[at] === 'A' ? 'B' : 'A'}${pair.slice(at + 1)}`;
  const rejected = await getJSON(`${baseUrl}/get`, tampered);
  assert.deepEqual(rejected.body, { name: null, isNew: true }, 'a tampered cookie must give a new session');
  return pair;
}

/**
 * Proves over HTTP, and in Redis itself, that the built-in Redis store serves the sessions: the
 * cookie holds only an id, the data is JSON under `<prefix><id>` with a TTL, logout deletes it,
 * and a garbage id gives a fresh session.
 */
export async function probeRedisSession(baseUrl, redis, prefix, key = 'EGG_SESS') {
  const name = `smoke-${Date.now()}`;
  const set = await getJSON(`${baseUrl}/set?name=${name}`);
  const setCookie = sessionCookie(set.res, key);
  assert.ok(setCookie, 'setting a session value must set the session cookie');
  const pair = setCookie.split(';')[0];
  const id = pair.slice(key.length + 1);
  assert.match(id, /^[0-9a-f-]{36}$/, `the cookie must hold a session id, got ${pair}`);

  const stored = JSON.parse(await redis.get(`${prefix}${id}`));
  assert.equal(stored.name, name, 'the session data must be in Redis under prefix + id');
  const ttl = await redis.pttl(`${prefix}${id}`);
  assert.ok(ttl > 23 * 3600 * 1000 && ttl <= 24 * 3600 * 1000 + 10_000, `TTL of about maxAge, got ${ttl} ms`);

  const read = await getJSON(`${baseUrl}/get`, pair);
  assert.deepEqual(read.body, { name, isNew: false }, 'the next request must read the session back');

  const unknown = await getJSON(`${baseUrl}/get`, `${key}=00000000-0000-4000-8000-000000000000`);
  assert.deepEqual(unknown.body, { name: null, isNew: true }, 'an unknown id must give a new session');

  await getJSON(`${baseUrl}/logout`, pair);
  assert.equal(await redis.exists(`${prefix}${id}`), 0, 'logout must delete the session from Redis');
  const after = await getJSON(`${baseUrl}/get`, pair);
  assert.deepEqual(after.body, { name: null, isNew: true }, 'a destroyed session must not come back');
  return pair;
}
