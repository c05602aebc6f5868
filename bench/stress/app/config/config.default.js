'use strict';
const path = require('node:path');
const os = require('node:os');

/**
 * The stress app (prod env). BENCH_TMP_DIR: logs and run dir; STRESS_REDIS_PORT: the harness's own
 * redis-server, which switches the session store to Redis with onStoreError 'fail'.
 */
module.exports = appInfo => {
  const tmp = process.env.BENCH_TMP_DIR || path.join(os.tmpdir(), 'egg-session-stress');
  const config = {
    keys: 'stress-key-current,stress-key-older',
    rundir: path.join(tmp, 'run'),
    logger: { dir: path.join(tmp, 'logs', appInfo.name) },
    security: { csrf: { enable: false } },
    session: {},
  };
  if (process.env.STRESS_REDIS_PORT) {
    config.session = { store: 'redis', onStoreError: 'fail', storeTimeout: 500, redis: { prefix: 'stress:' } };
    config.redis = {
      client: {
        host: '127.0.0.1',
        port: Number(process.env.STRESS_REDIS_PORT),
        password: '',
        db: 0,
        // the README's recommendation for sessions: while Redis is down, fail at once instead of queueing
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
      },
    };
  }
  return config;
};
