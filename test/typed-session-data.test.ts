import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { mm, type MockApplication } from '@eggjs/mock';
import { TestAgent } from '@eggjs/supertest';
import { assertCleared, setCookie } from './helpers/cookies.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixture = path.join(root, 'test/fixtures/typed-session-app');

describe('a TypeScript (ESM) app with typed session data', () => {
  let app: MockApplication;
  before(async () => {
    app = mm.app({ baseDir: 'typed-session-app' });
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

  // The fixture is type-checked twice: by ts-node when egg loads app/router.ts above (a type error fails
  // the boot) and by `npm run typecheck` (tsconfig.json includes test/**). Its @ts-expect-error lines
  // prove ctx.session.userId is a number and undeclared fields are rejected.
  it("'egg-session-plus' resolves to the plugin's own index.ts, so the app's merge reaches SessionData", () => {
    const configFile = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
    const from = path.join(fixture, 'typings/session.d.ts');
    const resolved = ts.resolveModuleName('egg-session-plus', from, options, ts.sys);
    assert.equal(resolved.resolvedModule?.resolvedFileName, path.join(root, 'index.ts'));
  });
});
