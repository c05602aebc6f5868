import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sessionPlugin, { PLUGIN_PATH } from '../index.js';

/**
 * egg 4.1's built-in plugin list (packages/egg/src/config/plugin.ts in the egg repository) does
 * `import sessionPlugin from '@eggjs/session'` and spreads `...sessionPlugin()`; @eggjs/session 5
 * exports `definePluginFactory({ name: 'session', enable: true, path: import.meta.dirname })`.
 * egg 4.1 needs Node >= 22.18, so the shape is proven here by calling the export the same way.
 */
describe('egg 4.1: the default export is a session plugin factory', () => {
  it('spreads into a plugin list as { session: { name, enable, path } }', () => {
    const plugins: Record<string, any> = { onerror: { enable: true, package: '@eggjs/onerror' }, ...sessionPlugin() };
    assert.deepEqual(Object.keys(plugins), [ 'onerror', 'session' ]);
    assert.equal(plugins.session.name, 'session');
    assert.equal(plugins.session.enable, true);
    assert.equal(plugins.session.path, PLUGIN_PATH);
  });

  it('points at the folder holding the plugin files of this build (here the TypeScript sources)', () => {
    assert.ok(path.isAbsolute(PLUGIN_PATH));
    for (const file of [ 'app.ts', 'config/config.default.ts', 'app/middleware/session.ts', 'app/extend/application.ts' ]) {
      assert.ok(fs.existsSync(path.join(PLUGIN_PATH, file)), `${file} in ${PLUGIN_PATH}`);
    }
  });

  it('takes overrides (enable, env, dependencies) but keeps its name', () => {
    const { session } = sessionPlugin({ enable: false, env: [ 'prod' ], name: 'other' } as any);
    assert.equal(session.enable, false);
    assert.deepEqual(session.env, [ 'prod' ]);
    assert.equal(session.name, 'session');
    assert.equal(session.path, PLUGIN_PATH);
  });
});
