import assert from 'node:assert/strict';
import { mm, type MockApplication } from '@eggjs/mock';
import { TestAgent } from '@eggjs/supertest';

describe('cookie sessions', () => {
  let app: MockApplication;
  before(async () => {
    app = mm.app({ baseDir: 'cookie-app' });
    await app.ready();
  });
  after(() => app.close());
  afterEach(mm.restore);

  it('keeps a session across requests in a sealed cookie', async () => {
    const agent = new TestAgent(app.callback());
    const set = await agent.get('/set?name=egg').expect(200);
    const cookies = set.headers['set-cookie'] as unknown as string[];
    console.log(cookies);
    const res = await agent.get('/get').expect(200);
    assert.deepEqual(res.body.session, { name: 'egg' });
  });
});
