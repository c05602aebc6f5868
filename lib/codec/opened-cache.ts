import type { Opened } from './sealer.js';

/** Characters (cookie texts plus plaintexts) the cache may hold, both generations together. */
const DEFAULT_MAX_CHARS = 1_000_000;

function sizeOf(value: string, opened: Opened): number {
  return value.length + opened.text.length;
}

/**
 * The plaintexts of recently sealed or opened cookies, keyed by the exact cookie text.
 *
 * A browser sends the same session cookie with every request until the session changes, and
 * the next cookie is one this process just sealed: a hit costs a Map lookup instead of an
 * AES-GCM open (about 3-4 µs, most of it cipher setup). Only texts this process sealed or
 * authenticated get in, so a cookie with any byte changed misses and is opened (and
 * authenticated) in full. The plaintext, not the parsed object, is kept: every request parses
 * its own copy.
 *
 * Two generations instead of a strict LRU: new entries and hits go into the current Map; when it
 * has used half the budget it becomes the previous one and the old previous is dropped whole.
 * No per-entry deletes, which would leave V8's ordered Maps full of holes to skip.
 */
export class OpenedCookieCache {
  readonly #maxChars: number;
  #current = new Map<string, Opened>();
  #currentChars = 0;
  #previous = new Map<string, Opened>();
  #previousChars = 0;

  constructor(maxChars = DEFAULT_MAX_CHARS) {
    this.#maxChars = maxChars;
  }

  /** Characters held now; never more than the budget. */
  get chars(): number {
    return this.#currentChars + this.#previousChars;
  }

  get(value: string): Opened | undefined {
    const hot = this.#current.get(value);
    if (hot) return hot;
    const cold = this.#previous.get(value);
    // still in use: keep it through the next generation change
    if (cold) this.#add(value, cold);
    return cold;
  }

  remember(value: string, opened: Opened): void {
    // one huge cookie must not flush everyone else's
    if (sizeOf(value, opened) > this.#maxChars / 64 || this.#current.has(value)) return;
    this.#add(value, opened);
  }

  #add(value: string, opened: Opened): void {
    const size = sizeOf(value, opened);
    if (this.#currentChars + size > this.#maxChars / 2) {
      this.#previous = this.#current;
      this.#previousChars = this.#currentChars;
      this.#current = new Map();
      this.#currentChars = 0;
    }
    this.#current.set(value, opened);
    this.#currentChars += size;
  }
}
