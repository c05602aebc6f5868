import type { Context } from 'egg';

/** The session key flash messages live under: not `_`-prefixed, so koa-session saves it. */
export const FLASH_KEY = '$flash';

/** A flash message: anything JSON can carry (usually a string). */
export type FlashMessage = string | number | boolean | null | FlashMessage[] | { [key: string]: FlashMessage };
type FlashBag = Record<string, FlashMessage[]>;

// null after `ctx.session = null`
const sessionOf = (ctx: Context) => ctx.session as unknown as Record<string, unknown> | null;
const isBag = (value: unknown): value is FlashBag => typeof value === 'object' && value !== null && !Array.isArray(value);

// `ctx.flash(type, message)` adds a message (or several) for the next request and returns how many of that type wait; `ctx.flash(type)` takes
// (returns and removes) them; `ctx.flash()` takes all, by type. Taking from no bag writes no cookie.
export function flash(ctx: Context, type?: string, ...message: [] | [FlashMessage | FlashMessage[]]): number | FlashMessage[] | FlashBag {
  if (message.length) {
    if (typeof type !== 'string' || !type) throw new TypeError('[egg-session-plus] ctx.flash(type, message): type must be a non-empty string');
    // it would replace the bag's prototype instead of adding messages
    if (type === '__proto__') throw new TypeError('[egg-session-plus] ctx.flash(type, message): type must not be "__proto__"');
    // after `ctx.session = null` (sign out), a flash ("signed out") starts a fresh session
    if (!ctx.session) ctx.session = {};
    const session = sessionOf(ctx)!;
    if (!isBag(session[FLASH_KEY])) session[FLASH_KEY] = {};
    const bag = session[FLASH_KEY] as FlashBag;
    const messages = Array.isArray(bag[type]) ? bag[type] : [];
    messages.push(...(Array.isArray(message[0]) ? message[0] : [ message[0] ]));
    bag[type] = messages;
    return messages.length;
  }
  const bag = sessionOf(ctx)?.[FLASH_KEY];
  if (!isBag(bag)) return type === undefined ? {} : [];
  if (type === undefined) {
    delete sessionOf(ctx)![FLASH_KEY];
    return bag;
  }
  const messages = bag[type];
  if (!Array.isArray(messages)) return [];
  delete bag[type];
  if (!Object.keys(bag).length) delete sessionOf(ctx)![FLASH_KEY];
  return messages;
}
