// One stress app: a single-process egg app (prod env) on 127.0.0.1, driven by bench/stress.mjs over IPC.
// It tallies the session events of each request tagged with the hostile-case header.
import http from 'node:http';
import { start } from 'egg';

const CASE_HEADER = 'x-hostile-case';
const app = await start({ baseDir: process.env.STRESS_APP_DIR, env: 'prod' });
const server = http.createServer(app.callback());
server.keepAliveTimeout = 30_000;
await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));

const byCase = {};
const totals = { invalid: 0, expired: 0, missed: 0, error: 0 };
for (const name of Object.keys(totals)) {
  app.on(`session:${name}`, payload => {
    totals[name]++;
    const id = payload?.ctx?.get?.(CASE_HEADER);
    if (id) (byCase[id] ??= []).push(name);
  });
}

async function stop() {
  setTimeout(() => process.exit(0), 3000).unref();
  server.closeAllConnections();
  server.close();
  await app.close().catch(() => undefined);
  process.exit(0);
}

process.on('message', message => {
  if (message?.type === 'events') process.send({ type: 'events', id: message.id, byCase, totals });
  else if (message?.type === 'stop') stop();
});
// the harness went away without stopping us
process.on('disconnect', () => stop());
process.send({ type: 'ready', port: server.address().port });
