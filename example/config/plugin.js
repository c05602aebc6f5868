import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export default {
  // the plugin from this repo; egg picks dist/esm after `npm run build`, the TS source in tests.
  // An installed app writes `session: { enable: true, package: 'egg-session-plus' }` instead.
  session: { enable: true, path: repoRoot },
  redis: { enable: process.env.SESSION_STORE === 'redis', package: '@eggjs/redis' },
};
