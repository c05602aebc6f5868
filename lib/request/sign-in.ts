import type { JsonObject } from '../json.js';
import type { Hidden } from './hidden.js';

/** `config.session.userKey`: a key, a dotted path (`'passport.user.id'`) or a function of the session. */
export type UserKey = string | ((session: JsonObject) => unknown);

export interface User {
  id: string; // what session control indexes and revokes
  app: string | number; // as the app set it
}

// A non-empty string or a finite number is a user; undefined, null or '' none. With session control (`strict`) any other value is the app's error,
// named: such a session could be neither listed nor revoked.
// The value at a dotted path, and what stopped the walk: 'passport.user.id' over a string at passport.user is a wrong userKey, not "no user".
function atPath(session: unknown, path: string[]): { value: unknown; through?: string } {
  let value = session;
  for (const key of path) {
    if (value === undefined || value === null) return { value: undefined };
    if (typeof value !== 'object') return { value, through: typeof value };
    value = (value as JsonObject)[key];
  }
  return { value };
}

export function userReader(userKey: UserKey, strict: boolean | ((message: string) => void)): (session: unknown) => User | undefined;
export function userReader(userKey: UserKey, strict: false, part: 'app'): (session: unknown) => string | number | undefined;
export function userReader(userKey: UserKey, strict: boolean | ((message: string) => void), part?: 'app'): (session: unknown) => User | string | number | undefined {
  const path = typeof userKey === 'string' ? userKey.split('.') : [];
  const name = typeof userKey === 'function' ? 'the user config.session.userKey returns' : `ctx.session.${userKey} (config.session.userKey)`;
  return session => {
    const { value, through } = typeof userKey === 'function' ? { value: session && userKey(session as JsonObject) } : atPath(session, path);
    if (!through && ((typeof value === 'string' && value) || (typeof value === 'number' && Number.isFinite(value)))) return part ? value : { id: String(value), app: value };
    if (strict && (through || (value !== undefined && value !== null && value !== ''))) {
      const got = through ? `a ${through} on its way` : typeof value;
      const message = `[egg-session-plus] ${name} must be a string or a number, got ${got}: set it to the user's id (or point config.session.userKey at the id)`;
      if (strict === true) throw new TypeError(message);
      strict(message);
    }
  };
}

export interface Stamp {
  at: number; // sign-in time
  gen: number; // the user's generation then (0 before the first "destroy all")
}

type Signed = Stamp & { user: string };

// Who a request's session is signed in as. The loaded user keeps its stamp for the whole request however the app sets it again: a request in flight
// cannot escape a "destroy all" by signing in again. Another user signed in during the request gets its generation of the moment it is first saved.
export class SignIn {
  loaded: Signed | undefined;
  fresh: Signed | undefined;
  // no stamp (a legacy cookie): generation 0, before any "destroy all"
  constructor(user?: string, hidden: Hidden = {}) {
    this.loaded = user === undefined ? undefined : { user, at: hidden._authAt ?? 0, gen: hidden._gen ?? 0 };
  }
  known(user: string): Stamp | undefined { return this.loaded?.user === user ? this.loaded : this.fresh?.user === user ? this.fresh : undefined; }
  async signIn<F>(user: string, at: number, generation: () => Promise<number | F>): Promise<Stamp | F> {
    const gen = await generation();
    if (typeof gen === 'number') this.fresh = { user, at, gen };
    return typeof gen === 'number' ? this.fresh! : gen;
  }
  /** A "destroy all" this request ran while its session was live: it stays signed in, at the new generation. */
  confirm(user: string, gen: number): void {
    const signed = this.known(user);
    if (signed) signed.gen = Math.max(signed.gen, gen);
    else this.fresh = { user, at: Date.now(), gen };
  }
}
