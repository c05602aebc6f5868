// egg-session-plus from a build: BENCH_PLUGIN_PATH is the package root holding dist/
module.exports = {
  session: { enable: true, path: process.env.BENCH_PLUGIN_PATH },
  redis: { enable: Boolean(process.env.STRESS_REDIS_PORT), package: '@eggjs/redis' },
};
