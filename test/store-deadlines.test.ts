import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { withTimeout } from '../lib/store/deadlines.js';

function settleAfter<T>(ms: number, value: T): Promise<T> {
  return sleep(ms).then(() => value);
}

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    return `ok ${String(await promise)}`;
  } catch (error) {
    return `error ${(error as Error).message}`;
  }
}

describe('store deadlines (withTimeout on one timer per time limit)', () => {
  it('passes values and errors through when the call answers in time', async () => {
    assert.equal(await withTimeout(Promise.resolve(1), 50, 'op'), 1);
    assert.equal(await withTimeout(2, 50, 'op'), 2, 'a plain value');
    await assert.rejects(withTimeout(Promise.reject(new Error('boom')), 50, 'op'), /^Error: boom$/);
    assert.equal(await withTimeout(settleAfter(30, 3), 0, 'op'), 3, '0: no limit');
  });

  it('rejects each late call at its own deadline, in order, while calls that answered stay answered', async () => {
    const started = Date.now();
    const calls = [
      withTimeout(settleAfter(10, 'fast'), 60, 'first'),
      withTimeout(new Promise(() => undefined), 60, 'never'),
      withTimeout(settleAfter(200, 'slow'), 60, 'slow op'),
    ];
    await sleep(20);
    const late = withTimeout(new Promise(() => undefined), 60, 'later');
    const results = await Promise.all([ ...calls, late ].map(async call => [ await outcome(call), Date.now() - started ] as const));
    assert.deepEqual(results.map(([ text ]) => text), [
      'ok fast', 'error never timed out after 60ms', 'error slow op timed out after 60ms', 'error later timed out after 60ms',
    ]);
    const [ , never, slow, later ] = results.map(([ , at ]) => at);
    assert.ok(never >= 55 && slow >= 55 && never < 500 && slow < 500, `the first two deadlines (${never}, ${slow} ms)`);
    assert.ok(later >= 75 && later < 600, `the later call keeps its own deadline (${later} ms)`);
  });

  it('keeps separate limits apart, and works again after its queue ran empty', async () => {
    const short = outcome(withTimeout(new Promise(() => undefined), 20, 'short'));
    const long = outcome(withTimeout(settleAfter(40, 'long'), 80, 'long'));
    assert.deepEqual(await Promise.all([ short, long ]), [ 'error short timed out after 20ms', 'ok long' ]);
    assert.equal(await outcome(withTimeout(new Promise(() => undefined), 20, 'again')), 'error again timed out after 20ms');
  });

  it('a timeout is handled where its caller awaits: in that request, not in the one that armed the shared timer', async () => {
    const request = new AsyncLocalStorage<string>();
    // the first call arms the queue's one timer inside request A
    const first = request.run('A', () => withTimeout(new Promise(() => undefined), 20, 'a').catch(() => request.getStore()));
    const second = request.run('B', async () => {
      try {
        await withTimeout(new Promise(() => undefined), 20, 'b');
      } catch {
        return request.getStore();
      }
    });
    assert.deepEqual(await Promise.all([ first, second ]), [ 'A', 'B' ]);
  });

  it('answered calls leave nothing pending: 10,000 of them, then a late one still times out', async () => {
    for (let i = 0; i < 10_000; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => withTimeout(Promise.resolve(j), 30, 'op')));
    }
    assert.equal(await outcome(withTimeout(new Promise(() => undefined), 30, 'late')), 'error late timed out after 30ms');
  });
});
