import fs from 'node:fs';
import path from 'node:path';
import { run } from './run.mjs';

/**
 * Adds egg and the plugin to the app in `dir` and runs `npm install` there. The plugin comes from
 * `source`, `{ tarball }` (a packed .tgz) or `{ git }` (a git URL: npm clones it and runs its `prepare`),
 * either as a dependency (`route: 'package'`) or as an npm `overrides` entry that replaces egg's
 * built-in @eggjs/session (`route: 'overrides'`, tarballs only).
 */
export async function installApp(dir, { route, source, eggVersion, dependencies, devDependencies }) {
  const pkgFile = path.join(dir, 'package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
  pkg.dependencies = { egg: eggVersion, ...dependencies };
  const spec = source.git ?? `file:${source.tarball}`;
  if (route === 'overrides') {
    if (source.git) throw new Error('the overrides route is smoke-tested from the tarball only');
    // a published release would be "npm:egg-session-plus@^x.y.z"; a local tarball needs a file: spec
    pkg.overrides = { '@eggjs/session': spec };
  } else {
    pkg.dependencies['egg-session-plus'] = spec;
  }
  if (devDependencies) pkg.devDependencies = devDependencies;
  fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2) + '\n');
  // --prefer-offline: egg's whole tree is already in the npm cache after the repo's own install
  await run('npm', [ 'install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error' ], {
    cwd: dir, timeoutMs: 240_000,
  });
  return { dir, name: pkg.name };
}
