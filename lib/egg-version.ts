import fs from 'node:fs';
import path from 'node:path';

/** The egg majors this plugin runs on (egg 3 through the shims at the package root, egg 4 through dist/). */
export const SUPPORTED_EGG_MAJORS: readonly number[] = [ 3, 4 ];

/** The first package.json with a name at or above `dir`: the package that holds it. */
function owningPackage(dir: string): { name: string; version?: unknown } | undefined {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const file = path.join(current, 'package.json');
    try {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      // nameless package.json files only set a module type (egg 4's dist/esm, dist/commonjs)
      if (typeof pkg.name === 'string' && pkg.name) return pkg as { name: string; version?: unknown };
    } catch {
      // no (readable) package.json here: keep walking up
    }
    if (path.dirname(current) === current) return;
  }
}

/**
 * The version of `egg` among the loader's `eggPaths` (the framework chain: egg itself, custom
 * frameworks and test frameworks built on it), or undefined when none is the `egg` package.
 */
export function findEggVersion(eggPaths: readonly string[]): string | undefined {
  for (const eggPath of eggPaths) {
    const pkg = owningPackage(eggPath);
    if (pkg?.name === 'egg' && typeof pkg.version === 'string') return pkg.version;
  }
}

/**
 * Fails the boot on an egg major this plugin does not support, instead of loading into it and
 * failing request by request; only warns when the egg version cannot be found. Returns the version.
 */
export function checkEggVersion(eggPaths: readonly string[], warn: (message: string) => void): string | undefined {
  const version = findEggVersion(eggPaths);
  if (!version) {
    warn(`[egg-session-plus] could not find the egg package above ${eggPaths.join(', ') || '(no eggPaths)'}; ` +
      `it supports egg ${SUPPORTED_EGG_MAJORS.join(' and ')}`);
    return;
  }
  if (!SUPPORTED_EGG_MAJORS.includes(Number.parseInt(version, 10))) {
    throw new Error(`[egg-session-plus] needs egg ${SUPPORTED_EGG_MAJORS.join(' or ')}, found egg@${version}`);
  }
  return version;
}
