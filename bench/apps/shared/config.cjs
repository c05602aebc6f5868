'use strict';
const path = require('node:path');

/**
 * Config shared by every bench app; the bench runner passes the variant through the environment:
 * BENCH_TMP_DIR (logs, run dir), BENCH_SESSION (JSON merged into config.session),
 * BENCH_REDIS_PORT (enables @eggjs/redis against the bench's own redis-server).
 */
module.exports = function benchConfig(appInfo) {
  const tmp = process.env.BENCH_TMP_DIR || path.join(require('node:os').tmpdir(), 'egg-session-bench');
  const config = {
    keys: 'bench-key-0123456789abcdef,bench-key-older',
    rundir: path.join(tmp, 'run'),
    logger: { dir: path.join(tmp, 'logs', appInfo.name) },
    session: process.env.BENCH_SESSION ? JSON.parse(process.env.BENCH_SESSION) : {},
  };
  if (process.env.BENCH_REDIS_PORT) {
    config.redis = { client: { host: '127.0.0.1', port: Number(process.env.BENCH_REDIS_PORT), password: '', db: 0 } };
  }
  return config;
};
