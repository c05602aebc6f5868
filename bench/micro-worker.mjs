// One variant of `npm run bench:micro`, in its own process: boots the bench app (prod env) and drives
// its request path through app.callback() with socketless requests, answering CPU µs per request.
import http from 'node:http';
import net from 'node:net';
import { start } from 'egg';

const app = await start({ baseDir: process.env.BENCH_APP_DIR, env: 'prod' });
const handle = app.callback();

/** One request through egg's whole middleware stack, without a socket; resolves with its Set-Cookie (or its body). */
async function request(path, cookie, answerBody = false) {
  const req = new http.IncomingMessage(new net.Socket());
  req.method = 'GET';
  req.url = path;
  req.headers = { host: '127.0.0.1', ...(cookie ? { cookie } : {}) };
  req.push(null);
  const res = new http.ServerResponse(req);
  let body = '';
  if (answerBody) {
    const end = res.end.bind(res);
    res.end = (chunk, ...rest) => {
      body += chunk ?? '';
      return end(...rest);
    };
  }
  await handle(req, res);
  if (res.statusCode !== 200) throw new Error(`${path} answered ${res.statusCode}`);
  return answerBody ? body : res.getHeader('set-cookie');
}

/** The Cookie header a browser sends back: every cookie set with a value (base64 values may end in '='). */
function cookieHeader(setCookie) {
  const lines = setCookie === undefined ? [] : [ setCookie ].flat();
  return lines.map(line => String(line).split(';')[0]).filter(pair => pair.indexOf('=') < pair.length - 1).join('; ');
}

/** CPU µs per request over `count` requests of `route` with the login cookie. */
async function measure(route, cookie, count) {
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) await request(route, cookie);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}

process.on('message', async message => {
  try {
    if (message.type === 'prepare') {
      const cookie = cookieHeader(await request(`/login?bytes=${message.bytes ?? 0}`));
      // every variant must measure a request that has its session
      const probe = await request('/ro', cookie, true);
      if (app.plugins.session?.enable && !probe.includes('u-1234567890')) throw new Error(`the login cookie did not carry the session: ${probe}`);
      // warm up the JIT and the caches
      await measure(message.route, cookie, message.warmup);
      app.microCookie = cookie;
      process.send({ type: 'prepared' });
    } else if (message.type === 'measure') {
      process.send({ type: 'measured', usPerRequest: await measure(message.route, app.microCookie, message.count) });
    } else if (message.type === 'stop') {
      await app.close().catch(() => undefined);
      process.exit(0);
    }
  } catch (error) {
    process.send({ type: 'error', message: String(error?.stack ?? error) });
  }
});
process.send({ type: 'ready' });
