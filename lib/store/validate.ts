import type { SessionStore } from '../types.js';

const METHODS = [ 'get', 'set', 'destroy' ] as const;

/** Throws a TypeError naming what a session store lacks. */
export function assertSessionStore(store: unknown, label = 'app.sessionStore'): asserts store is SessionStore {
  if (typeof store !== 'object' || store === null) {
    throw new TypeError(`[egg-session-plus] ${label} must be an object with get/set/destroy methods or a class, got ${store === null ? 'null' : typeof store}`);
  }
  const missing = METHODS.filter(name => typeof Reflect.get(store, name) !== 'function');
  if (missing.length) {
    throw new TypeError(`[egg-session-plus] ${label} is missing method(s): ${missing.map(m => `${m}()`).join(', ')}`);
  }
}

export function isSessionStore(store: unknown): store is SessionStore {
  return typeof store === 'object' && store !== null &&
    METHODS.every(name => typeof Reflect.get(store, name) === 'function');
}
