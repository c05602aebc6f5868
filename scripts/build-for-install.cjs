// The `prepare` script. npm runs `prepare`, not `prepack`, when it installs this package from git
// (`npm install git+https://…`): it clones the repository, runs `npm install` there (the clone is the
// project: this script skips), then runs `prepare` again with the app being installed as the project,
// and packs the clone by `files`. Without a build that tarball would hold only package.json, README.md,
// SECURITY.md and LICENSE, and egg would boot with no session plugin. So: when this package is being
// installed into ANOTHER project and has no complete build, build it as prepack does (dist/ and the
// egg 3 shims). In this repository's own `npm ci` / `npm install` (and `npm pack`, which runs prepack
// first) it does nothing, so those stay as fast as without it.
//
// "Another project": npm_config_local_prefix, the root of the project npm is installing (npm sets it
// for every script; INIT_CWD, where npm was started, when a package manager leaves it out), lies
// outside this package's folder. Checked with npm 11: the repository's own install runs prepare with
// local_prefix = the checkout (also from a subfolder, and with `npm --prefix <checkout>`); a git install
// runs it first in the clone with local_prefix = the clone, then with local_prefix = the app.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { SHIM_FILES, writeShims } = require('./egg3-shims.cjs');

const packageRoot = path.join(__dirname, '..');
// what prepack leaves: both builds (egg 4 picks one through eggPlugin.exports) and the egg 3 shims
const BUILD_FILES = [ 'dist/esm/app.js', 'dist/commonjs/app.js', ...SHIM_FILES ];

function realPath(dir) {
  try {
    return fs.realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

function isInside(dir, parent) {
  const rel = path.relative(realPath(parent), realPath(dir));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** True when npm installs this package as a dependency of another project (the git route). */
function installedAsDependency(env = process.env) {
  const project = env.npm_config_local_prefix || env.INIT_CWD;
  return Boolean(project) && !isInside(project, packageRoot);
}

function hasBuild(root = packageRoot) {
  return BUILD_FILES.every(rel => fs.existsSync(path.join(root, rel)));
}

function build() {
  // the same steps as prepack: `npm run build`, then the egg 3 shims over dist/commonjs
  const npm = process.env.npm_execpath;
  const [ command, args ] = npm && /\.[cm]?js$/.test(npm)
    ? [ process.execPath, [ npm, 'run', 'build' ] ]
    : [ 'npm', [ 'run', 'build' ] ];
  console.log('[egg-session-plus] installed without a build (from git?): building dist/ and the egg 3 shims');
  execFileSync(command, args, { cwd: packageRoot, stdio: 'inherit' });
  writeShims(packageRoot);
}

module.exports = { installedAsDependency, hasBuild, BUILD_FILES };

if (require.main === module && installedAsDependency() && !hasBuild()) build();
