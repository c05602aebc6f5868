import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MockApplication } from '@eggjs/mock';
import { checkEggVersion, findEggVersion } from '../lib/egg-version.js';
import { bootApp } from './helpers/boot.js';

/** Writes `files` (path → package.json content) under a new temp dir; returns the dir. */
function layout(files: Record<string, object>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'egg-version-'));
  for (const [ rel, json ] of Object.entries(files)) {
    fs.mkdirSync(path.join(root, path.dirname(rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), JSON.stringify(json));
  }
  return root;
}

/** checkEggVersion's result and the warnings it gave. */
function check(eggPaths: string[]) {
  const warnings: string[] = [];
  const version = checkEggVersion(eggPaths, message => warnings.push(message));
  return { version, warnings };
}

describe('egg version check at boot (lib/egg-version.ts)', () => {
  const roots: string[] = [];
  const at = (files: Record<string, object>) => {
    const root = layout(files);
    roots.push(root);
    return (rel: string) => path.join(root, rel);
  };
  after(() => roots.forEach(root => fs.rmSync(root, { recursive: true, force: true })));

  it('egg 3: the eggPath is the egg package folder (egg-mock 5 adds its own tmp framework)', () => {
    const p = at({
      'node_modules/egg/package.json': { name: 'egg', version: '3.34.0' },
      'node_modules/egg-mock/package.json': { name: 'egg-mock', version: '5.15.2' },
    });
    fs.mkdirSync(p('node_modules/egg-mock/lib/tmp'), { recursive: true });
    assert.deepEqual(check([ p('node_modules/egg'), p('node_modules/egg-mock/lib/tmp') ]), { version: '3.34.0', warnings: [] });
  });

  it('egg 4: walks up from dist/commonjs past its nameless type-only package.json', () => {
    const p = at({
      'node_modules/egg/package.json': { name: 'egg', version: '4.0.10' },
      'node_modules/egg/dist/commonjs/package.json': { type: 'commonjs' },
      'node_modules/@eggjs/mock/package.json': { name: '@eggjs/mock', version: '6.0.7' },
    });
    assert.deepEqual(check([ p('node_modules/@eggjs/mock/dist/commonjs/lib/tmp'), p('node_modules/egg/dist/commonjs') ]),
      { version: '4.0.10', warnings: [] });
  });

  it('egg 4 as installed here: finds the version of node_modules/egg', () => {
    const egg = path.join(process.cwd(), 'node_modules/egg');
    const { version } = JSON.parse(fs.readFileSync(path.join(egg, 'package.json'), 'utf8'));
    assert.match(version, /^4\./);
    assert.equal(findEggVersion([ path.join(egg, 'dist/esm') ]), version);
  });

  it('egg 4 booted by @eggjs/mock: the loader\'s eggPaths lead to egg 4, the check passes without a warning', async () => {
    const app: MockApplication = await bootApp('cookie', { keys: 'ev-app-key' });
    try {
      // the same call app.ts makes in configWillLoad
      const { version, warnings } = check(app.loader.eggPaths);
      assert.match(version ?? '', /^4\./);
      assert.deepEqual(warnings, []);
    } finally {
      await app.close();
    }
  });

  it('a custom framework built on egg: skips the framework and finds egg', () => {
    const p = at({
      'node_modules/egg/package.json': { name: 'egg', version: '3.17.5' },
      'node_modules/my-framework/package.json': { name: 'my-framework', version: '9.0.0' },
    });
    assert.equal(findEggVersion([ p('node_modules/my-framework'), p('node_modules/egg') ]), '3.17.5');
  });

  for (const version of [ '2.37.0', '5.0.0-beta.1' ]) {
    it(`another major (egg@${version}): fails the boot naming the supported majors and the version found`, () => {
      const p = at({ 'node_modules/egg/package.json': { name: 'egg', version } });
      assert.throws(() => check([ p('node_modules/egg') ]),
        { message: `[egg-session-plus] needs egg 3 or 4, found egg@${version}` });
    });
  }

  it('none found: only warns (a framework that is not the egg package, or no eggPaths)', () => {
    const p = at({ 'node_modules/my-framework/package.json': { name: 'my-framework', version: '1.0.0' } });
    const framework = check([ p('node_modules/my-framework') ]);
    assert.equal(framework.version, undefined);
    assert.equal(framework.warnings.length, 1);
    assert.match(framework.warnings[0], /^\[egg-session-plus\] could not find the egg package above .*my-framework; it supports egg 3 and 4$/);
    assert.deepEqual(check([]).warnings, [ '[egg-session-plus] could not find the egg package above (no eggPaths); it supports egg 3 and 4' ]);
  });

  it('a malformed package.json on the way up is skipped, not fatal', () => {
    const p = at({ 'node_modules/egg/package.json': { name: 'egg', version: '4.1.0' } });
    fs.mkdirSync(p('node_modules/egg/dist'));
    fs.writeFileSync(p('node_modules/egg/dist/package.json'), '{ not json');
    assert.equal(findEggVersion([ p('node_modules/egg/dist') ]), '4.1.0');
  });
});
