import type { Application, ILifecycleBoot } from 'egg';
import { configWarnings, validateSessionConfig, type ResolvedSessionConfig } from './lib/config.js';
import { appKeys, MISSING_KEYS } from './lib/cookie/codec.js';
import { defaultCookieSizePolicy } from './lib/cookie/response.js';
import { createBuiltinStore, describeStore } from './lib/store/builtin.js';
import { installSessionControl, sessionControlEnabled } from './lib/control/session-control.js';
import { installRequestOwner, peekOwner } from './lib/request/setup.js';
import { loadOutsideRequest } from './lib/request/outside.js';
import { checkEggVersion } from './lib/egg-version.js';
import type { SessionErrorEvent, SessionEvent } from './lib/types.js';

/** koa-session's events in @eggjs/session's log lines; a store failure names a store session by its reference, never its id. */
function logSessionEvents(app: Application): void {
  const shown = (value: unknown) => (app.config.session.logValue ? value : '');
  app.on('session:missed', ({ ctx, key }: SessionEvent) => ctx.coreLogger.warn('[session][missed] key(%s)', key));
  app.on('session:expired', ({ ctx, key, value }: SessionEvent) => ctx.coreLogger.warn('[session][expired] key(%s) value(%j)', key, shown(value)));
  app.on('session:invalid', ({ ctx, key, value }: SessionEvent) => ctx.coreLogger.warn('[session][invalid] key(%s) value(%j)', key, shown(value)));
  app.on('session:error', ({ ctx, key, error }: SessionErrorEvent) => ctx.coreLogger.error('[session][error] key(%s) %s', key, error.message));
}

/** What the session cookie holds and how it is protected, for the boot line. */
function cookieKind(config: ResolvedSessionConfig, store: string): string {
  if (store === 'cookie') return config.encrypt ? 'aes-256-gcm' : 'signed';
  // a custom genid's ids are signed; the default genid's are checked against its shape
  const signed = Boolean(config.genid) || (!config.encrypt && config.signed);
  return signed ? 'session id, signed' : 'session id, uuid shape checked';
}

export default class SessionBoot implements ILifecycleBoot {
  readonly app: Application;
  constructor(app: Application) { this.app = app; }
  get #config(): ResolvedSessionConfig { return this.app.config.session as ResolvedSessionConfig; }
  configWillLoad() {
    // an unsupported egg major fails here, not request by request
    checkEggVersion(this.app.loader.eggPaths, message => this.app.coreLogger.warn(message));
    this.app.config.coreMiddleware.push('session');
  }
  configDidLoad() {
    const { app } = this;
    const config = this.#config;
    validateSessionConfig(config);
    config.onCookieTooLarge ??= defaultCookieSizePolicy(app.config.env);
    // egg writes no cookie without keys, and sealing needs one: nothing of the session could work
    if (!appKeys(app.config.keys).length) throw new Error(`[egg-session-plus] ${MISSING_KEYS}`);
    const redisInUse = config.store === 'redis' || sessionControlEnabled(config);
    for (const warning of configWarnings(config, redisInUse)) app.coreLogger.warn(`[egg-session-plus] ${warning}`);
    if (!config.encrypt && !config.signed && !(config as { decode?: unknown }).decode) {
      app.coreLogger.warn('[egg-session-plus] config.session has encrypt: false and signed: false: session cookies are plain base64 JSON ' +
        'that any client can forge. Remove signed: false (or encrypt: false)');
    }
    if (!config.httpOnly) {
      // @eggjs/session's exact line, so log alerts written for it keep matching
      app.coreLogger.warn('[@eggjs/session]: please set `config.session.httpOnly` to true. ' +
        'It is very dangerous if session can read by client JavaScript. (egg-session-plus)');
    }
    logSessionEvents(app);
  }
  async didLoad() {
    const config = this.#config;
    // an object here was set by the app (config or app.sessionStore) and wins over a built-in store
    if (typeof config.store === 'string') config.store = await createBuiltinStore(this.app, config);
    const keeper = installSessionControl(this.app, config, { partyOf: peekOwner, load: input => loadOutsideRequest(this.app, input) });
    installRequestOwner(this.app, config, keeper);
  }
  async willReady() {
    // checked once the app's didLoad had its chance to set app.sessionStore
    const { idHeader, store } = this.#config;
    if (idHeader && describeStore(store) === 'cookie') throw new TypeError('[egg-session-plus] config.session.idHeader needs a session store ' +
      "(store 'redis' or 'memory', or app.sessionStore): cookie sessions have no id");
    const { security, ipHeaders, hostHeaders, protocolHeaders } = this.app.config as Record<string, any>;
    const egg = [ security?.csrf?.headerName, ipHeaders, hostHeaders, protocolHeaders ].join(',').toLowerCase().split(/\s*,\s*/);
    if (idHeader && egg.includes(idHeader.toLowerCase())) throw new TypeError(`[egg-session-plus] config.session.idHeader '${idHeader}' is read by egg already (security.csrf.headerName, ipHeaders, hostHeaders or protocolHeaders): pick another`);
  }
  async didReady() {
    const { app } = this;
    const store = describeStore(this.#config.store);
    app.coreLogger.info('[egg-session-plus] egg-session-plus@%s serving sessions, store: %s, cookie: %s',
      app.plugins.session?.version ?? 'unknown', store, cookieKind(this.#config, store));
  }
}
