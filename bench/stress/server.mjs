// One stress app: bench/server.mjs (a single-process egg app in the prod env on 127.0.0.1, driven over
// IPC) that also tallies the session events of each request tagged with the hostile-case header.
import { app } from '../server.mjs';

const CASE_HEADER = 'x-hostile-case';
const byCase = {};
const totals = { invalid: 0, expired: 0, missed: 0, error: 0 };
for (const name of Object.keys(totals)) {
  app.on(`session:${name}`, payload => {
    totals[name]++;
    const id = payload?.ctx?.get?.(CASE_HEADER);
    if (id) (byCase[id] ??= []).push(name);
  });
}

process.on('message', message => {
  if (message?.type === 'events') process.send({ type: 'events', id: message.id, byCase, totals });
});
