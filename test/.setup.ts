// egg-bin test loads this file before every test file, however the tests are started
// (`npm test`, `npx egg-bin test test/x.test.ts`, `egg-bin test --changed`).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { SHIM_FILES } = createRequire(import.meta.url)('../scripts/egg3-shims.cjs') as { SHIM_FILES: string[] };

// 1. The tests must exercise the TypeScript source. @eggjs/core takes a plugin's eggPlugin.exports.import
// (./dist/esm) whenever that folder exists and falls back to `typescript` (./) only when it is missing, so
// after `npm run build` (or `npm run bench`, `npm pack`) every app-level test would silently run the build.
// The egg 3 shims (app/index.js, config/config.default.js, ...) written by packing beside the .ts sources
// would make egg load the plugin twice. Either one left over fails the run here, before any app boots.
const leftovers = [ 'dist', ...SHIM_FILES ].filter(rel => fs.existsSync(path.join(repoRoot, rel)));
if (leftovers.length) {
  throw new Error(`[test/.setup.ts] build output found in ${repoRoot}: ${leftovers.join(', ')}. ` +
    'egg loads a plugin from dist/ (eggPlugin.exports) when it exists, so these tests would test the build ' +
    'instead of lib/, app/ and config/. Run `npm run clean` (removes dist/ and the egg 3 shims), then run the ' +
    'tests again; `npm test` cleans by itself (pretest).');
}

// 2. The console shows what failed, not what the tests' apps log on purpose. Every app booted in this
// process (mm.app, and mm.cluster's workers, which inherit the environment) writes its logs to its own
// files, which app.expectLog()/mockLog() and the tests read; egg-logger's console transport would print
// the same lines (ERROR and WARN with stacks: consoleLevel WARN in unittest). EGG_LOG overrides every
// logger's console level (it is what mm.consoleLevel() sets); `EGG_LOG=WARN npm test` shows them again.
process.env.EGG_LOG ||= 'NONE';

let failures = 0;
afterEach(function() {
  if (this.currentTest?.state === 'failed') failures++;
});
after(() => {
  if (failures && process.env.EGG_LOG === 'NONE') {
    console.log('\n[test/.setup.ts] the apps\' log lines were kept off the console (EGG_LOG=NONE); ' +
      'rerun the failing file with EGG_LOG=WARN to see them.');
  }
});
