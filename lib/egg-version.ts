import fs from 'node:fs';
import path from 'node:path';

const SUPPORTED_EGG_MAJORS: readonly number[] = [ 3, 4 ]; // egg 3 through the shims at the package root, egg 4 through dist/

/** The version of `egg` among the loader's `eggPaths` (egg and the frameworks built on it): the first named package.json at or above each. */
export function findEggVersion(eggPaths: readonly string[]): string | undefined {
  for (const eggPath of eggPaths) {
    for (let dir = path.resolve(eggPath); ; dir = path.dirname(dir)) {
      let pkg: { name?: unknown; version?: unknown } | undefined;
      try { pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')); } catch {} // none here: keep walking up
      // nameless package.json files only set a module type (egg 4's dist/esm, dist/commonjs)
      if (typeof pkg?.name === 'string' && pkg.name) {
        if (pkg.name === 'egg' && typeof pkg.version === 'string') return pkg.version;
        break;
      }
      if (path.dirname(dir) === dir) break;
    }
  }
}

/** Fails the boot on an egg major this plugin does not support (instead of failing request by request); warns when egg is not found. */
export function checkEggVersion(eggPaths: readonly string[], warn: (message: string) => void): string | undefined {
  const version = findEggVersion(eggPaths);
  const supported = SUPPORTED_EGG_MAJORS.join(' and ');
  if (!version) warn(`[egg-session-plus] could not find the egg package above ${eggPaths.join(', ') || '(no eggPaths)'}; it supports egg ${supported}`);
  else if (!SUPPORTED_EGG_MAJORS.includes(Number.parseInt(version, 10))) throw new Error(`[egg-session-plus] needs egg ${SUPPORTED_EGG_MAJORS.join(' or ')}, found egg@${version}`);
  return version;
}
