import './typings/index.js';

/** Your session's fields, by merging: `declare module 'egg-session-plus' { interface SessionData { userId?: number } }` */
export interface SessionData {}

/** What koa-session's Session object adds to your data on `ctx.session`. */
export interface SessionModel {
  /** this request started without a session */ readonly isNew: boolean;
  /** ms, or 'session' for a browser-session cookie */ maxAge: number | 'session' | undefined;
  /** the store id; undefined for cookie sessions */ readonly externalKey: string | undefined;
  readonly length: number;
  readonly populated: boolean;
  /** even if nothing changed */ save(): Promise<void>;
  /** a new id (store) or ciphertext (cookie); the old store entry is destroyed */ regenerate(): Promise<void>;
  /** with `autoCommit: false` */ manuallyCommit(): Promise<void>;
  toJSON(): Record<string, unknown>;
}

export type { SessionConfig, ResolvedSessionConfig } from './lib/config.js';
export { SessionConfigSchema, validateSessionConfig } from './lib/config.js';
export type {
  SessionStore, SessionStoreClass, StoredSession, StoreGetOptions, StoreSetOptions, StoreDestroyOptions,
  SessionEvent, SessionErrorEvent,
} from './lib/types.js';
export { MemoryStore } from './lib/store/memory.js';
// egg 4.1's plugin list spreads `sessionPlugin()`, the default export of `@eggjs/session`
export { default, PLUGIN_PATH, type EggPluginEntry } from './lib/egg-plugin.js';
export { SessionStoreError } from './lib/store/adapter.js';
export { isAnonymousSession } from './lib/request/setup.js';
export type { SessionLifecycleEvent, LifecycleEventName, DestroyReason } from './lib/request/announcer.js';
export { SessionCookieTooLargeError } from './lib/cookie/response.js';
export { Sealer } from './lib/cookie/sealer.js';
export { FLASH_KEY, type FlashMessage } from './lib/flash.js';
export { SessionControl, type DestroyAllOptions, type DestroyAllResult } from './lib/control/session-control.js';
export { SessionLimitError } from './lib/control/index-keeper.js';
export { ContextSessions } from './lib/control/context-sessions.js';
export type { SessionInfo } from './lib/control/user-index.js';
export type { LoadedSession } from './lib/request/outside.js';
