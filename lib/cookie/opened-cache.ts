import type { Opened } from './sealer.js';

const SEEN_SLOTS = 4096; // a power of two
// the tail of a sealed cookie is its GCM tag (16 random-looking bytes): enough to tell cookies apart
const TAIL_CHARS = 24;

// The plaintexts of recently opened cookies, keyed by the exact cookie text: a browser sends the same cookie until its session changes, and
// a hit costs a Map lookup instead of an AES-GCM open (3-4 µs). Only authenticated texts get in, so a cookie with any byte changed misses
// and is opened in full; every request parses its own copy. A cookie is admitted the second time it is opened (under writes every response
// carries a new cookie read once: caching those only makes garbage). Two generations instead of an LRU: when the current Map holds half the
// budget it becomes the previous one, and the old previous is dropped whole (per-entry deletes leave V8's Maps full of holes).
export class OpenedCookieCache {
  readonly #maxChars: number;
  readonly #seen = new Int32Array(SEEN_SLOTS);
  #current = new Map<string, Opened>();
  #currentChars = 0;
  #previous = new Map<string, Opened>();
  #previousChars = 0;

  /** `maxChars`: the cookie texts plus plaintexts the cache may hold, both generations together. */
  constructor(maxChars = 1_000_000) {
    this.#maxChars = maxChars;
  }

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

  /** Called after `value` was opened and authenticated: keeps it from its second time on. */
  remember(value: string, opened: Opened): void {
    // one huge cookie must not flush everyone else's
    if (value.length + opened.text.length > this.#maxChars / 64 || this.#current.has(value)) return;
    // FNV-1a over the tail, as the int32 #seen holds: cheap, and a collision only costs a cache admission
    let hash = 0x811c9dc5 | 0;
    for (let i = Math.max(0, value.length - TAIL_CHARS); i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193);
    const slot = hash & (SEEN_SLOTS - 1);
    if (this.#seen[slot] === hash) this.#add(value, opened);
    else this.#seen[slot] = hash;
  }

  #add(value: string, opened: Opened): void {
    const size = value.length + opened.text.length;
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
