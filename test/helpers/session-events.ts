import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';

/** Waiting for the session events an app emits (koa-session emits on setImmediate, after the response may be sent). */

/** Resolves with the payload of the next `event` the app emits; rejects after `ms`. */
export function nextEvent<T = any>(app: EventEmitter, event: string, ms = 2000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      app.removeListener(event, onEvent);
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    function onEvent(payload: T) {
      clearTimeout(timer);
      resolve(payload);
    }
    app.once(event, onEvent);
  });
}

/** Fails if `app` emits `event` within `ms`. */
export async function noEvent(app: EventEmitter, event: string, ms = 100): Promise<void> {
  let seen: unknown;
  const onEvent = (payload: unknown) => { seen = payload ?? true; };
  app.on(event, onEvent);
  await new Promise(resolve => setTimeout(resolve, ms));
  app.removeListener(event, onEvent);
  assert.equal(seen, undefined, `unexpected ${event}`);
}

/** Events are emitted in setImmediate and logged right after: let them run. */
export function nextTicks(): Promise<void> {
  return new Promise(resolve => setImmediate(() => setImmediate(resolve)));
}
