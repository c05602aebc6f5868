'use strict';

/** What a hostile cookie must never change, seen from inside the app. */
function prototypeReport() {
  const probe = {};
  return {
    ownKeys: Reflect.ownKeys(Object.prototype).map(String).sort().join(','),
    polluted: probe.polluted !== undefined || probe.isAdmin !== undefined,
    prototypeOfProbe: Object.getPrototypeOf(probe) === Object.prototype,
  };
}

module.exports = app => {
  const { router } = app;
  // hostile-cookie phase
  router.get('/get', ctx => {
    const session = ctx.session;
    ctx.body = {
      session: session.toJSON(),
      isNew: session.isNew,
      prototype: Object.getPrototypeOf(session).constructor.name,
      proto: prototypeReport(),
    };
  });
  router.get('/set', ctx => {
    Object.assign(ctx.session, ctx.query);
    ctx.body = { session: ctx.session.toJSON() };
  });
  router.get('/proto', ctx => {
    ctx.body = prototypeReport();
  });
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
