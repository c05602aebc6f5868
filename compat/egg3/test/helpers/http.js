'use strict';
const request = require('supertest');

// request(app.callback()), not app.httpRequest(): egg-mock 5.15 builds that server before the
// router is mounted, and every request answers 404
function get(app, url, cookie) {
  const req = request(app.callback()).get(url);
  return cookie ? req.set('Cookie', cookie) : req;
}

/** The `name=value` pairs of a response's Set-Cookie lines (cleared cookies left out). */
function cookiesOf(res) {
  return (res.headers['set-cookie'] || [])
    .map(line => line.split(';')[0])
    .filter(pair => !pair.endsWith('='));
}

/** The value of the session cookie a response set, or undefined. */
function sessionCookie(res, key = 'EGG_SESS') {
  const pair = cookiesOf(res).find(c => c.startsWith(`${key}=`));
  return pair && pair.slice(key.length + 1);
}

/** A jar for the next request: this response's cookies, over `previous` ones of the same name. */
function jar(res, previous = '') {
  const cookies = new Map(previous.split('; ').filter(Boolean).map(pair => [ pair.split('=')[0], pair ]));
  for (const pair of cookiesOf(res)) cookies.set(pair.split('=')[0], pair);
  return [ ...cookies.values() ].join('; ');
}

module.exports = { get, cookiesOf, sessionCookie, jar };
