import fs from 'node:fs';
import path from 'node:path';
import { run } from './run.mjs';

/**
 * Copies a fixture app into `dir` and installs egg plus the tarball, either as a dependency
 * (`route: 'package'`) or as an npm `overrides` entry that replaces egg's built-in @eggjs/session.
 */
export async function createApp({ fixtureDir, dir, route, tarball, eggVersion, dependencies, devDependencies }) {
  fs.cpSync(fixtureDir, dir, { recursive: true, filter: src => !/[\\/](logs|run|node_modules)$/.test(src) });
  const pkgFile = path.join(dir, 'package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
  pkg.dependencies = { egg: eggVersion, ...dependencies };
  if (route === 'overrides') {
    // a published release would be "npm:egg-session-plus@^x.y.z"; a local tarball needs a file: spec
    pkg.overrides = { '@eggjs/session': `file:${tarball}` };
  } else {
    pkg.dependencies['egg-session-plus'] = `file:${tarball}`;
  }
  if (devDependencies) pkg.devDependencies = devDependencies;
  fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2) + '\n');
  // --prefer-offline: egg's whole tree is already in the npm cache after the repo's own install
  await run('npm', [ 'install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error' ], {
    cwd: dir, timeoutMs: 180_000,
  });
  return { dir, name: pkg.name };
}
