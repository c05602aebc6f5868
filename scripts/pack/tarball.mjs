import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { copyTree } from './tree-copy.mjs';
import { run } from './run.mjs';

// `npm pack --ignore-scripts` skips prepack: the egg 3 shims are written here, after the build
const { SHIM_FILES, writeShims } = createRequire(import.meta.url)('../egg3-shims.cjs');

// the documents the README links at the package root: a reader of the installed package follows them
export const DOCUMENTS = [ 'README.md', 'LICENSE', 'SECURITY.md' ];

// what an installed plugin needs; a narrower `files` or a broken build would drop one of these
const REQUIRED_FILES = [ 'esm', 'commonjs' ].flatMap(flavour => [
  `dist/${flavour}/package.json`,
  `dist/${flavour}/index.js`,
  `dist/${flavour}/index.d.ts`,
  `dist/${flavour}/app.js`,
  `dist/${flavour}/app/middleware/session.js`,
  `dist/${flavour}/app/extend/application.js`,
  `dist/${flavour}/config/config.default.js`,
  `dist/${flavour}/typings/index.d.ts`,
]).concat('package.json', SHIM_FILES, DOCUMENTS);

/** Builds the package in a temp copy of the tree and packs it; returns the tarball and its file list. */
export async function packTarball(repoRoot, workDir) {
  const tree = copyTree(repoRoot, path.join(workDir, 'tree'));
  await run('npm', [ 'run', 'build' ], { cwd: tree });
  writeShims(tree);
  const out = await run('npm', [ 'pack', '--ignore-scripts', '--json', '--pack-destination', workDir ], { cwd: tree });
  const [ info ] = JSON.parse(out);
  const files = info.files.map(file => file.path);
  const missing = REQUIRED_FILES.filter(file => !files.includes(file));
  if (missing.length) throw new Error(`the packed tarball lacks ${missing.join(', ')}`);
  const sources = files.filter(file => /\.(ts|mts|cts)$/.test(file) && !/\.d\.[mc]?ts$/.test(file));
  if (sources.length) throw new Error(`the packed tarball ships TypeScript sources: ${sources.join(', ')}`);
  const mapsWithoutSources = files.filter(file => file.endsWith('.map') &&
    !JSON.parse(fs.readFileSync(path.join(tree, file), 'utf8')).sourcesContent);
  if (mapsWithoutSources.length) {
    throw new Error(`source maps point at unshipped .ts files (inlineSources off?): ${mapsWithoutSources.slice(0, 3).join(', ')}`);
  }
  const tarball = path.join(workDir, info.filename);
  if (!fs.existsSync(tarball)) throw new Error(`npm pack did not write ${tarball}`);
  return { path: tarball, name: info.name, version: info.version, files };
}
