/**
 * SESSION_STORE=redis keeps sessions in Redis (REDIS_URL, default redis://127.0.0.1:6379);
 * otherwise they live in sealed cookies (the plugin's default, nothing else to run).
 */
export default appInfo => {
  const config = {
    // the first key seals new cookies; add older keys after it to rotate without logging users out
    keys: process.env.EXAMPLE_KEYS ?? `${appInfo.name}_demo-key-change-me`,
    // the session cookie is enough state for this demo: keep egg's CSRF defaults (token in a cookie). The
    // header API's JSON requests without cookies need no token: a cross-site form can send no JSON, and a
    // cross-site fetch of JSON needs a CORS preflight (README "Sessions without cookies")
    security: { csrf: { enable: true, ignore: ctx => ctx.path.startsWith('/api/') && !ctx.get('cookie') && Boolean(ctx.is('json')) } },
    session: {},
  };

  if (process.env.SESSION_STORE === 'redis') {
    const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    config.redis = {
      client: {
        host: url.hostname,
        port: Number(url.port || 6379),
        password: decodeURIComponent(url.password), // '' for none: @eggjs/redis requires the key
        db: Number(url.pathname.slice(1) || 0),
      },
    };
    config.session.store = 'redis';
    config.session.redis = { prefix: 'esp-example:sess:' };
    // clients without cookies send the session id in this header (example/client.mjs)
    config.session.idHeader = 'x-session-id';
  }
  return config;
};
