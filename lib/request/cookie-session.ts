import type { Context } from 'egg';
import { FAILED, type Failed } from '../store/adapter.js';
import { isSessionShaped, type JsonObject } from '../json.js';
import { readHidden, type Hidden } from './hidden.js';
import type { User } from './sign-in.js';
import type { CookieCodec, OpenedCookie } from '../cookie/codec.js';
import { setSessionCookie } from '../cookie/response.js';
import type { IndexKeeper } from '../control/index-keeper.js';

export interface CookieSettings {
  codec: CookieCodec;
  userOf: (session: unknown) => User | undefined;
  absoluteMaxAge: number | undefined;
  limit: number;
  maxChunks: number;
}

/** What one request knows of its cookie session: the cookie read once (chunks joined, opened, legacy verified), and its write. */
export class CookieSession {
  readonly #ctx: Context;
  readonly #opts: Record<string, any>;
  readonly #settings: CookieSettings;
  #read: { raw: string; opened: OpenedCookie } | undefined;
  constructor(ctx: Context, opts: Record<string, any>, settings: CookieSettings) {
    this.#ctx = ctx;
    this.#opts = opts;
    this.#settings = settings;
  }
  /** opened once per request (again only if the cookie changed) */
  read(): OpenedCookie | undefined {
    const raw = this.#ctx.cookies.get(this.#opts.key, this.#opts) as string | undefined;
    if (raw && this.#read?.raw !== raw) this.#read = { raw, opened: this.#settings.codec.open(this.#ctx, raw) };
    return raw ? this.#read!.opened : undefined;
  }
  /** The data of a signed-in cookie session whose user had a "destroy all" since; FAILED under 'anonymous'. */
  async revoked(control: IndexKeeper): Promise<JsonObject | undefined | Failed> {
    const data = this.read()?.data;
    if (!isSessionShaped(data)) return;
    let user;
    try {
      user = this.#settings.userOf(data);
    } catch {
      return; // refused as invalid when it is read
    }
    const { hidden, expired } = readHidden(data, this.#settings.absoluteMaxAge);
    if (!user || expired) return;
    const gen = await control.generation(this.#ctx, user.id);
    if (gen === FAILED) return gen;
    return (hidden._gen ?? 0) < gen ? data : undefined;
  }
  write(hidden: Hidden, data: JsonObject, text: string): void {
    const { codec, limit, maxChunks } = this.#settings;
    setSessionCookie(this.#ctx, this.#opts, codec.encode(hidden as JsonObject, data, text), limit, maxChunks);
  }
}
