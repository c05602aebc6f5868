'use strict';

// the hostile-cookie routes of the hardening tests (/get, /set, /proto, /logout)
const hostileRoutes = require('../../../../test/fixtures/base/routes/hostile.js');

module.exports = app => {
  const { router } = app;
  hostileRoutes(app);
  // load phase: each client keeps its own counter in its session
  router.get('/count', ctx => {
    const session = ctx.session;
    if (session.client === undefined) session.client = ctx.query.client;
    session.count = (session.count || 0) + 1;
    ctx.body = { client: session.client, count: session.count };
  });
  router.get('/peek', ctx => {
    const session = ctx.session;
    ctx.body = { client: session.client ?? null, count: session.count ?? 0, isNew: session.isNew };
  });
};
