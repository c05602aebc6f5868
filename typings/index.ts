// ctx.session etc. go into `@eggjs/core`'s Context (which egg's extends and router handlers receive), as egg's own plugins do: declared only on egg's
// Context, `app.get('/', ctx => ctx.session)` did not compile.
import type {} from 'egg';
import type {} from '@eggjs/core';
import type { ResolvedSessionConfig } from '../lib/config.js';
import type { SessionData, SessionModel } from '../index.js';
import type { SessionStore, SessionStoreClass } from '../lib/types.js';
import type { FlashMessage } from '../lib/flash.js';
import type { SessionControl } from '../lib/control/session-control.js';
import type { ContextSessions } from '../lib/control/context-sessions.js';

declare module 'egg' {
  interface EggAppConfig {
    // `store` stays loose: @eggjs/session types it as an object, this plugin also takes a store name
    session: ResolvedSessionConfig & { store?: any } & Record<string, any>;
  }
  interface Application {
    // egg types this through @eggjs/session's declarations; declared here too for apps that install this package AS @eggjs/session
    get sessionStore(): SessionStore | undefined;
    set sessionStore(store: SessionStore | SessionStoreClass | null | undefined);
  }
}

declare module '@eggjs/core' {
  // on EggCore, as @eggjs/session declares sessionStore: a controller's or service's `this.app` is an EggApplicationCore
  interface EggCore {
    /** Per-user sessions across devices (needs session control: store 'redis' or `config.session.control.enable`). */
    readonly sessions: SessionControl;
  }
  interface Context {
    /** The session of this request; assign `null` to destroy it, an object to replace it. */
    get session(): SessionModel & SessionData;
    set session(value: Partial<SessionData> | Record<string, unknown> | null);
    /** koa-session's options for this request only (e.g. `ctx.sessionOptions.maxAge`). */
    readonly sessionOptions: Record<string, any>;
    /** Adds a flash message for a later request; returns how many of that type are waiting. */
    flash(type: string, message: FlashMessage | FlashMessage[]): number;
    /** Takes (reads and removes) the flash messages of one type. */
    flash<T extends FlashMessage = string>(type: string): T[];
    /** Takes all flash messages, by type. */
    flash(): Record<string, FlashMessage[]>;
    /** The signed-in user's sessions across devices: list, sign out one, "log out everywhere else". */
    readonly sessions: ContextSessions;
  }
}

export {};
