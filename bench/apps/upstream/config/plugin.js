// egg 4's built-in session plugin, as every egg app gets it by default
module.exports = {
  session: { enable: true, package: '@eggjs/session' },
  redis: { enable: Boolean(process.env.BENCH_REDIS_PORT), package: '@eggjs/redis' },
};
