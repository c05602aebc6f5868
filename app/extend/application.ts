import type { Application } from 'egg';
import { assertSessionStore } from '../../lib/store/adapter.js';
import type { SessionStore, SessionStoreClass } from '../../lib/types.js';

export default class SessionApplication {
  /** As with @eggjs/session: an object with async `get/set/destroy`, or a class constructed with `app`; `null`: cookie sessions. */
  set sessionStore(store: SessionStore | SessionStoreClass | null | undefined) {
    const app = this as unknown as Application;
    const config = app.config.session;
    if (typeof config.store === 'object' && app.config.env !== 'unittest') app.coreLogger.warn('[egg-session-plus] sessionStore already exists and will be overwrite');
    if (!store) {
      config.store = undefined;
      app.coreLogger.info('[egg-session-plus] sessionStore is disabled');
      return;
    }
    const instance = typeof store === 'function' ? new store(app) : store;
    assertSessionStore(instance);
    config.store = instance;
  }
  get sessionStore(): SessionStore | undefined {
    const store = (this as unknown as Application).config.session.store;
    return typeof store === 'object' ? store as SessionStore : undefined;
  }
}
