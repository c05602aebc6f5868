import type { Context } from 'egg';

/** The session key flash messages live under: not `_`-prefixed, so koa-session saves it. */
export const FLASH_KEY = '$flash';

/** A flash message: anything JSON can carry (usually a string). */
export type FlashMessage = string | number | boolean | null | FlashMessage[] | { [key: string]: FlashMessage };

type FlashBag = Record<string, FlashMessage[]>;
type SessionRecord = Record<string, unknown>;

/** `ctx.session` as a plain record; null after `ctx.session = null`. */
function sessionOf(ctx: Context): SessionRecord | null {
  return ctx.session as unknown as SessionRecord | null;
}

function isBag(value: unknown): value is FlashBag {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The bag of the current session, without creating one. */
function existingBag(ctx: Context): FlashBag | undefined {
  const bag = sessionOf(ctx)?.[FLASH_KEY];
  return isBag(bag) ? bag : undefined;
}

function add(ctx: Context, type: string, message: FlashMessage | FlashMessage[]): number {
  // after `ctx.session = null` (sign out), a flash ("signed out") starts a fresh session
  if (!ctx.session) ctx.session = {};
  const session = sessionOf(ctx)!;
  let bag = session[FLASH_KEY];
  if (!isBag(bag)) {
    bag = {};
    session[FLASH_KEY] = bag;
  }
  const messages = Array.isArray((bag as FlashBag)[type]) ? (bag as FlashBag)[type] : [];
  messages.push(...(Array.isArray(message) ? message : [ message ]));
  (bag as FlashBag)[type] = messages;
  return messages.length;
}

/** Reads and removes; a session without flash messages is left untouched (no cookie is written). */
function take(ctx: Context, type?: string): FlashMessage[] | FlashBag {
  const bag = existingBag(ctx);
  if (type === undefined) {
    if (!bag) return {};
    delete sessionOf(ctx)![FLASH_KEY];
    return bag;
  }
  const messages = bag?.[type];
  if (!bag || !Array.isArray(messages)) return [];
  delete bag[type];
  if (!Object.keys(bag).length) delete sessionOf(ctx)![FLASH_KEY];
  return messages;
}

/**
 * `ctx.flash(type, message)` adds a message (or several) for the next request and returns how
 * many messages of that type wait; `ctx.flash(type)` returns them and removes them;
 * `ctx.flash()` returns all of them by type and removes them.
 */
export function flash(ctx: Context, type?: string, ...message: [] | [FlashMessage | FlashMessage[]]): number | FlashMessage[] | FlashBag {
  if (message.length) {
    if (typeof type !== 'string' || !type) throw new TypeError('[egg-session-plus] ctx.flash(type, message): type must be a non-empty string');
    // it would replace the bag's prototype instead of adding messages
    if (type === '__proto__') throw new TypeError('[egg-session-plus] ctx.flash(type, message): type must not be "__proto__"');
    return add(ctx, type, message[0]);
  }
  return take(ctx, type);
}
