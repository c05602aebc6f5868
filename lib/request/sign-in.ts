import type { JsonObject } from '../json.js';
import type { Hidden } from './hidden.js';

/** Where a session's user is: `config.session.userKey`, a key, a dotted path (`'passport.user'`) or a function of the session. */
export type UserKey = string | ((session: JsonObject) => unknown);

/** Reads the user of a session as the app set it, for `userKey`. */
export function userReader(userKey: UserKey): (session: unknown) => unknown {
  if (typeof userKey === 'function') return session => (session ? userKey(session as JsonObject) : undefined);
  const path = userKey.split('.');
  if (path.length === 1) return session => (session as JsonObject | null | undefined)?.[userKey];
  return session => path.reduce<unknown>((node, key) => (node as JsonObject | null | undefined)?.[key], session);
}

/** A user session control can index and revoke: a non-empty string or a finite number. */
export function isUser(value: unknown): value is string | number {
  return (typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isFinite(value));
}

/**
 * The user of a session (a number as its string); none for undefined, null or ''. With session
 * control (`strict`) any other value is the app's error, named: such a session could neither be
 * listed nor revoked, so it must not sign in silently.
 */
export function userOf(value: unknown, userKey: UserKey, strict: boolean): string | undefined {
  if (isUser(value)) return String(value);
  if (!strict || value === undefined || value === null || value === '') return;
  const name = typeof userKey === 'function' ? 'the user config.session.userKey returns' : `ctx.session.${userKey} (config.session.userKey)`;
  throw new TypeError(`[egg-session-plus] ${name} must be a string or a number, got ${typeof value}: ` +
    'set it to the user\'s id (or point config.session.userKey at the id)');
}

/** A session's user, the way `config.session.userKey` names it. */
export interface Users {
  /** the user to write (a number as its string); with session control (`strict`) any other value than a user fails, named */
  of(session: unknown): string | undefined;
  /** the user as the app set it, when it is one */
  app(session: unknown): string | number | undefined;
  /** with session control, a read session whose user could be neither listed nor revoked is refused */
  unindexable(session: unknown): boolean;
}

export function usersOf(userKey: UserKey, strict: boolean): Users {
  const read = userReader(userKey);
  return {
    of: session => userOf(read(session), userKey, strict),
    app: session => {
      const user = read(session);
      return isUser(user) ? user : undefined;
    },
    unindexable: session => {
      const user = read(session);
      return strict && user !== undefined && user !== null && user !== '' && !isUser(user);
    },
  };
}

/** When a user signed in, and the user's generation then (0 before the first "destroy all"). */
export interface Stamp {
  at: number;
  gen: number;
}

interface Signed extends Stamp {
  user: string;
}

/**
 * Who a request's session is signed in as. The user it was loaded with keeps its stamp for the whole
 * request, however the app sets it again (after `ctx.session = null` and a new object, regenerate(),
 * another user in between): a request in flight cannot escape a "destroy all" by signing in again.
 * Another user signed in during the request gets the user's generation of the moment it is saved.
 */
export class SignIn {
  #loaded: Signed | undefined;
  #fresh: Signed | undefined;

  /** The loaded session's user and its hidden stamp (unknown, e.g. a legacy cookie: generation 0). */
  loadedWith(user: string | undefined, hidden: Hidden): void {
    this.#fresh = undefined;
    this.#loaded = user === undefined ? undefined : { user, at: hidden._authAt ?? 0, gen: hidden._gen ?? 0 };
  }

  get loadedUser(): string | undefined {
    return this.#loaded?.user;
  }

  /** The stamp `user` is written with; `generation` reads the user's generation for a new sign-in. */
  async stampOf<F>(user: string, generation: () => Promise<number | F>, at = Date.now()): Promise<Stamp | F> {
    if (this.#loaded?.user === user) return this.#loaded;
    if (this.#fresh?.user === user) return this.#fresh;
    const gen = await generation();
    if (typeof gen !== 'number') return gen;
    this.#fresh = { user, at, gen };
    return this.#fresh;
  }

  /** The stamp this request knows for `user` (the loaded one, or a sign-in it already wrote). */
  known(user: string): Stamp | undefined {
    return [ this.#loaded, this.#fresh ].find(signed => signed?.user === user);
  }

  /** A "destroy all" of `user` this request ran while its session was live: it stays signed in, at the new generation. */
  confirm(user: string, gen: number): void {
    const signed = this.known(user) as Signed | undefined;
    if (signed) signed.gen = Math.max(signed.gen, gen);
    else this.#fresh = { user, at: Date.now(), gen };
  }

  /** A new session: whoever the app sets on it signs in now. */
  forget(): void {
    this.#loaded = this.#fresh = undefined;
  }
}
