import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { copyTree } from './tree-copy.mjs';
import { run } from './run.mjs';

/**
 * The working tree (tracked and untracked-but-not-ignored files, so never dist/ or the egg 3 shims)
 * committed as one snapshot into a fresh git repository: what `npm install git+https://…` of this
 * repository clones. Returns its `git+file:` URL.
 */
export async function gitSource(repoRoot, workDir) {
  const dir = copyTree(repoRoot, path.join(workDir, 'git-source'), { linkNodeModules: false });
  const git = args => run('git', [
    '-c', 'user.name=pack-smoke', '-c', 'user.email=pack-smoke@localhost', '-c', 'commit.gpgsign=false', ...args,
  ], { cwd: dir });
  await git([ 'init', '--quiet' ]);
  await git([ 'add', '--all' ]);
  await git([ 'commit', '--quiet', '--message', 'working tree snapshot for the git install route' ]);
  const files = (await git([ 'ls-files' ])).split('\n').filter(Boolean);
  const built = files.filter(file => file.startsWith('dist/') || file === 'app/index.js');
  if (built.length) throw new Error(`the git snapshot holds build output: ${built.join(', ')}`);
  return { url: `git+${pathToFileURL(dir).href}`, dir };
}
