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
 * sealed `v1.` format without a `.sig` cookie (@eggjs/session sets signed base64 JSON plus `.sig`).
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
  assert.ok(value.startsWith('v1.'), `expected a sealed v1. cookie, got ${pair}`);
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
