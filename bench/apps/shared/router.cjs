'use strict';

const FIELDS = {
  userId: 'u-1234567890',
  name: 'Bench User',
  email: 'bench.user@example.com',
  role: 'editor',
  locale: 'en-US',
  theme: 'dark',
  team: 'team-42',
  plan: 'pro',
  loginAt: 1700000000000,
  count: 0,
};

/** A session of the 10 fields above, padded with a `notes` field up to `bytes` of JSON when asked. */
function sessionData(bytes) {
  const data = { ...FIELDS };
  const size = JSON.stringify(data).length;
  if (bytes > size) data.notes = 'n'.repeat(bytes - size - ',"notes":""'.length);
  return data;
}

/**
 * GET /login?bytes=N creates the session the load then reuses; GET /rw reads it, increments a
 * counter and writes it back; GET /ro only reads it. Without a session plugin (the baseline)
 * the same routes answer the same JSON from a process counter.
 */
module.exports = app => {
  const { router } = app;
  const hasSession = Boolean(app.plugins.session && app.plugins.session.enable);
  let counter = 0;

  router.get('/login', ctx => {
    if (!hasSession) {
      ctx.body = { ok: true };
      return;
    }
    ctx.session = sessionData(Number(ctx.query.bytes) || 0);
    ctx.body = { ok: true };
  });

  router.get('/rw', ctx => {
    if (!hasSession) {
      ctx.body = { user: FIELDS.userId, count: ++counter };
      return;
    }
    const session = ctx.session;
    session.count = (session.count || 0) + 1;
    ctx.body = { user: session.userId || null, count: session.count };
  });

  router.get('/ro', ctx => {
    if (!hasSession) {
      ctx.body = { user: FIELDS.userId, count: counter };
      return;
    }
    const session = ctx.session;
    ctx.body = { user: session.userId || null, count: session.count || 0 };
  });
};
