import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { mm, type MockApplication } from '@eggjs/mock';
import { TestAgent } from '@eggjs/supertest';
import { assertCleared, setCookie } from './helpers/fd-cookies.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixture = path.join(root, 'test/fixtures/fd-typed');

describe('foundation: a TypeScript (ESM) app with typed session data', () => {
  let app: MockApplication;
  before(async () => {
    app = mm.app({ baseDir: 'fd-typed' });
    await app.ready();
  });
  after(() => app.close());

  it('serves ctx.session.userId (a number) over HTTP with its own cookie options', async () => {
    const agent = new TestAgent(app.callback());
    const login = await agent.get('/login?id=42').expect(200);
    assert.deepEqual(login.body, { userId: 42 });
    const cookie = setCookie(login, 'TYPED_SESS');
    assert.equal(cookie.attrs.samesite, 'lax');
    assert.equal(cookie.attrs['max-age'], String(2 * 3600));

    const visit = await agent.get('/visit').expect(200);
    assert.deepEqual(visit.body, { userId: 42, visits: 1, isNew: false });
    const again = await agent.get('/visit').expect(200);
    assert.deepEqual(again.body, { userId: 42, visits: 2, isNew: false });

    const logout = await agent.get('/logout').expect(200);
    assertCleared(setCookie(logout, 'TYPED_SESS'));
    const after = await agent.get('/visit').expect(200);
    assert.deepEqual(after.body, { userId: null, visits: 1, isNew: true });
  });

  it("compiles: 'egg-session-plus' resolves and the merged SessionData types ctx.session", function() {
    this.timeout(30000);
    const configFile = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
    const files = [ 'typings/session.d.ts', 'app/router.ts', 'config/config.default.ts' ]
      .map(file => path.join(fixture, file));
    const program = ts.createProgram([ ...files, path.join(root, 'typings/index.ts') ], parsed.options);
    const diagnostics = files.flatMap(file => ts.getPreEmitDiagnostics(program, program.getSourceFile(file)));
    const messages = diagnostics.map(d => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    assert.deepEqual(messages, []);
    // the module augmentation merged into the plugin's own index.ts (not into a stray ambient module)
    const resolved = ts.resolveModuleName('egg-session-plus', files[0], parsed.options, ts.sys);
    assert.equal(resolved.resolvedModule?.resolvedFileName, path.join(root, 'index.ts'));
  });
});
