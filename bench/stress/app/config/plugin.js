// egg-session-plus from a build: STRESS_PLUGIN_PATH is the package root holding dist/
module.exports = {
  session: { enable: true, path: process.env.STRESS_PLUGIN_PATH },
  redis: { enable: Boolean(process.env.STRESS_REDIS_PORT), package: '@eggjs/redis' },
};
