import { createSession } from 'koa-session';
import type { Context } from 'egg';

/** koa-session's Session: the app's data on `ctx.session`, its `toJSON()` without the hidden `_` keys. */
export interface KoaSession { toJSON(): Record<string, unknown>; _requireSave?: boolean }

/** The part of koa-session's ContextSession the owner builds on. */
export interface KoaContextSession {
  ctx: Context; opts: Record<string, any>; store?: unknown; session: KoaSession | false | undefined; externalKey?: string;
  get(): KoaSession | null; set(value: Record<string, unknown> | null): void;
  create(data?: unknown, externalKey?: string): void; emit(event: string, data: unknown): void;
}

type KoaContextSessionClass = new (ctx: Context, options: Record<string, any>) => KoaContextSession;

/** Completes `options` as koa-session does (its defaults, genid) and returns its ContextSession class. */
export function normaliseKoaOptions(options: Record<string, any>): KoaContextSessionClass {
  const context: Record<PropertyKey, unknown> = {};
  createSession(options as any, { use() {}, context });
  const getter = Object.getOwnPropertySymbols(context).find(symbol => symbol.description === 'get contextSession');
  // no request here: the probe must not build the app's per-request ContextStore
  const { ContextStore } = options;
  options.ContextStore = undefined;
  const probe = getter && Reflect.get(context, getter, Object.create(context)) as KoaContextSession | undefined;
  options.ContextStore = ContextStore;
  if (!probe || typeof probe.create !== 'function') {
    throw new Error('[egg-session-plus] this koa-session version is not supported (its ContextSession could not be found); use koa-session 7');
  }
  return probe.constructor as KoaContextSessionClass;
}

// koa-session's ContextSession: koa-session 7 exports neither the class nor its context symbols, so it runs once against a throwaway context, and the
// class is read off the instance it makes there.
export const ContextSession = normaliseKoaOptions({});
