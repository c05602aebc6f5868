import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  SMOKE_APPS, TS_CONSUMERS, makeWorkDir, packTarball, repoRoot, smokeApp, typecheckConsumer, type Tarball,
} from '../scripts/pack-smoke.mjs';
import { requireRedis } from './helpers/redis.js';

// The packed tarball, installed into throwaway plain-JS egg 4 apps (npm install from the local
// cache), must load and serve sealed sessions: catches a missing file in `files` or a broken export.
// One app installs the package from a git URL instead (npm's `prepare` builds it).
describe('packaging: npm pack → install into throwaway egg apps (plain JS, and TypeScript)', function() {
  this.timeout(180_000);
  let workDir: string;
  let tarball: Tarball;
  let failed = false;

  before(async () => {
    workDir = makeWorkDir();
    tarball = await packTarball(repoRoot, workDir);
  });
  afterEach(function() {
    if (this.currentTest?.state === 'failed') failed = true;
  });
  after(() => {
    if (!workDir) return;
    if (failed) console.warn(`packaging test failed: throwaway apps kept in ${workDir}`);
    else fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('ships both builds and no TypeScript sources', () => {
    assert.ok(tarball.files.includes('dist/esm/app.js'));
    assert.ok(tarball.files.includes('dist/commonjs/app.js'));
    assert.ok(!tarball.files.some(file => file.startsWith('test/') || file.startsWith('example/')));
  });

  it('ships the documents the README links at the package root (LICENSE, SECURITY.md)', () => {
    const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    // [text](FILE) with no folder and no URL scheme: a file beside README.md in the package
    const linked = [ ...readme.matchAll(/\]\(([^)/#:\s]+)(?:#[^)]*)?\)/g) ].map(match => match[1]);
    assert.ok(linked.includes('SECURITY.md') && linked.includes('LICENSE'), `README links ${linked.join(', ')}`);
    for (const file of new Set(linked)) assert.ok(tarball.files.includes(file), `${file} is linked from README.md but not packed`);
  });

  for (const spec of TS_CONSUMERS) {
    it(`${spec.name} (${spec.route} route): ESM and CommonJS TypeScript see typed ctx.session, config, sessionStore`,
      async () => {
        await typecheckConsumer(spec, tarball, workDir);
      });
  }

  for (const spec of SMOKE_APPS) {
    const how = spec.route === 'overrides'
      ? 'npm overrides @eggjs/session, plugin.js only `session: true`'
      : `plugin.js \`package: 'egg-session-plus'\`${spec.source === 'git' ? ', installed from a git URL (npm runs prepare)' : ''}`;
    const serves = spec.store === 'redis' ? 'serves sessions from the built-in Redis store' : 'serves sealed sessions';
    it(`${spec.name} (${spec.flavour}${spec.prod ? ', prod' : ''}; ${how}) ${serves}`, async function() {
      if (spec.store === 'redis' && !requireRedis(this)) return;
      const result = await smokeApp(spec, tarball, workDir);
      assert.match(result.cookie, spec.store === 'redis' ? /^EGG_SESS=[0-9a-f-]{36}$/ : /^EGG_SESS=v2\./);
      assert.match(result.bootLine, new RegExp(`egg-session-plus@\\d+\\.\\d+\\.\\d+ serving sessions, store: ${spec.store ?? 'cookie'}`));
      assert.ok(result.plugin.path.endsWith(`dist/${spec.flavour}`), result.plugin.path);
    });
  }
});
