// Writes the throwaway apps the pack smoke installs the plugin into, one per variant, from two templates:
// test/fixtures/consumer-app (a plain-JS egg app: its routes and its server, ESM or CommonJS) and
// test/fixtures/consumer-types (TypeScript compiled against the installed declarations). What differs
// between the variants is config: the module flavour, the route the plugin comes in by, the store.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures');
const JS_TEMPLATE = path.join(fixtures, 'consumer-app');
const TYPES_TEMPLATE = path.join(fixtures, 'consumer-types');

/** The key prefix the Redis variant's sessions live under (the smoke reads them there). */
export const REDIS_PREFIX = 'smoke:sess:';

function moduleText(flavour, value, comment) {
  const head = comment ? `// ${comment}\n` : '';
  const exported = flavour === 'esm' ? 'export default' : 'module.exports =';
  return `${head}${exported} ${JSON.stringify(value, null, 2)};\n`;
}

/** ESM source → CommonJS for the template's one-statement modules (`export default <expression>;`). */
function toCommonJS(source, file) {
  if (/^import /m.test(source) || source.match(/^export default /gm)?.length !== 1) {
    throw new Error(`${file}: a template module must have one \`export default\` and no imports`);
  }
  return source.replace(/^export default /m, 'module.exports = ');
}

/** config/plugin.js: the package named in plugin config, or a stock `session: true` for the overrides route. */
function pluginConfig(spec) {
  const plugins = spec.route === 'overrides'
    ? { session: true }
    : { session: { enable: true, package: 'egg-session-plus' } };
  if (spec.store === 'redis') plugins.redis = { enable: true, package: '@eggjs/redis' };
  return plugins;
}

function appConfig(spec, { redisPort }) {
  const config = { keys: `${spec.name}-key`, security: { csrf: { enable: false } } };
  if (spec.store === 'redis') {
    if (!redisPort) throw new Error(`${spec.name}: the Redis variant needs the port of its redis-server`);
    config.redis = { client: { host: '127.0.0.1', port: redisPort, password: '', db: 0 } };
    config.session = { store: 'redis', redis: { prefix: REDIS_PREFIX } };
  }
  return config;
}

/**
 * A plain-JS egg app in `dir` for `spec` ({ name, route, flavour, store? }); returns its name (egg's
 * app name, which names its log folder). `redisPort`: the Redis variant's server.
 */
export function writeConsumerApp(spec, dir, { redisPort } = {}) {
  const { flavour } = spec;
  fs.mkdirSync(path.join(dir, 'app'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'config'), { recursive: true });
  const router = fs.readFileSync(path.join(JS_TEMPLATE, 'app', 'router.js'), 'utf8');
  fs.writeFileSync(path.join(dir, 'app', 'router.js'), flavour === 'esm' ? router : toCommonJS(router, 'app/router.js'));
  fs.copyFileSync(path.join(JS_TEMPLATE, `server.${flavour}.js`), path.join(dir, 'server.js'));
  const pluginComment = spec.route === 'overrides'
    ? "unchanged from a stock egg app: package.json's `overrides` swaps @eggjs/session for egg-session-plus"
    : undefined;
  fs.writeFileSync(path.join(dir, 'config', 'plugin.js'), moduleText(flavour, pluginConfig(spec), pluginComment));
  fs.writeFileSync(path.join(dir, 'config', 'config.default.js'), moduleText(flavour, appConfig(spec, { redisPort })));
  writePackageJson(dir, { name: spec.name, private: true, ...(flavour === 'esm' ? { type: 'module' } : {}) });
  return spec.name;
}

/**
 * A TypeScript app in `dir` for `spec` ({ name, route }): the package route compiles session.ts and
 * api.ts against `egg-session-plus`; the overrides route compiles session.ts against `@eggjs/session`.
 */
export function writeTypesApp(spec, dir) {
  const installedAs = spec.route === 'overrides' ? '@eggjs/session' : 'egg-session-plus';
  const files = spec.route === 'overrides' ? [ 'session.ts' ] : [ 'session.ts', 'api.ts' ];
  fs.mkdirSync(dir, { recursive: true });
  for (const file of files) {
    const source = fs.readFileSync(path.join(TYPES_TEMPLATE, file), 'utf8');
    fs.writeFileSync(path.join(dir, file), source.replaceAll("'egg-session-plus'", `'${installedAs}'`));
  }
  const tsconfig = JSON.parse(fs.readFileSync(path.join(TYPES_TEMPLATE, 'tsconfig.json'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ ...tsconfig, files }, null, 2) + '\n');
  fs.copyFileSync(path.join(TYPES_TEMPLATE, 'tsconfig.cjs.json'), path.join(dir, 'tsconfig.cjs.json'));
  writePackageJson(dir, { name: spec.name, private: true, type: 'module' });
  return spec.name;
}

function writePackageJson(dir, pkg) {
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
}
