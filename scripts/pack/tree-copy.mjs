// Copies the working tree (git-tracked plus untracked-but-not-ignored files) to a temp dir, so a
// build there never creates dist/ in the repo, where egg would prefer it over the TS source.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const SKIP = new Set([ 'node_modules', 'dist', '.git', 'logs', 'run', 'coverage', '.tmp' ]);

function gitFiles(repoRoot) {
  try {
    const out = execFileSync('git', [ 'ls-files', '-z', '--cached', '--others', '--exclude-standard' ], {
      cwd: repoRoot, encoding: 'utf8', stdio: [ 'ignore', 'pipe', 'ignore' ],
    });
    return out.split('\0').filter(Boolean);
  } catch {
    return undefined; // not a git checkout (e.g. an unpacked source archive)
  }
}

function walkFiles(root, dir = '') {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap(entry => {
    if (SKIP.has(entry.name)) return [];
    const rel = path.join(dir, entry.name);
    return entry.isDirectory() ? walkFiles(root, rel) : [ rel ];
  });
}

/** Returns the copy's path; its node_modules is a symlink to the repo's unless `linkNodeModules` is false. */
export function copyTree(repoRoot, target, { linkNodeModules = true } = {}) {
  const files = gitFiles(repoRoot) ?? walkFiles(repoRoot);
  for (const rel of files) {
    const from = path.join(repoRoot, rel);
    if (!fs.existsSync(from)) continue; // tracked but deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(target, rel)), { recursive: true });
    fs.copyFileSync(from, path.join(target, rel));
  }
  if (linkNodeModules) fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(target, 'node_modules'), 'dir');
  return target;
}
