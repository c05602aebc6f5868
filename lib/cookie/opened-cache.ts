import type { Opened } from './sealer.js';

const SEEN_SLOTS = 4096; // a power of two
const TAIL_CHARS = 24; // a sealed cookie's tail is its GCM tag (16 random-looking bytes): enough to tell cookies apart

// Plaintexts of recently opened cookies by exact cookie text: a hit is a Map lookup instead of an AES-GCM open (3-4 µs). Only authenticated texts get
// in, so a changed byte misses; every request parses its own copy. Admitted when opened a second time (under writes each response carries a new
// cookie read once). Two generations instead of an LRU: per-entry deletes leave V8's Maps full of holes.
export class OpenedCookieCache {
  readonly #maxChars: number;
  readonly #seen = new Int32Array(SEEN_SLOTS);
  #current = new Map<string, Opened>();
  #currentChars = 0;
  #previous = new Map<string, Opened>();
  #previousChars = 0;
  /** `maxChars`: the cookie texts plus plaintexts the cache may hold, both generations together. */
  constructor(maxChars = 1_000_000) { this.#maxChars = maxChars; }
  get chars(): number { return this.#currentChars + this.#previousChars; }
  get(value: string): Opened | undefined {
    const hot = this.#current.get(value);
    const cold = hot ? undefined : this.#previous.get(value);
    if (cold) this.#add(value, cold); // still in use: keep it through the next generation change
    return hot ?? cold;
  }
  /** Called after `value` was opened and authenticated. */
  remember(value: string, opened: Opened): void {
    // one huge cookie must not flush everyone else's
    if (value.length + opened.text.length > this.#maxChars / 64 || this.#current.has(value)) return;
    // FNV-1a over the tail: cheap, and a collision only costs a cache admission
    let hash = 0x811c9dc5 | 0;
    for (let i = Math.max(0, value.length - TAIL_CHARS); i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193);
    const slot = hash & (SEEN_SLOTS - 1);
    if (this.#seen[slot] === hash) this.#add(value, opened);
    else this.#seen[slot] = hash;
  }
  #add(value: string, opened: Opened): void {
    const size = value.length + opened.text.length;
    if (this.#currentChars + size > this.#maxChars / 2) {
      [ this.#previous, this.#previousChars, this.#current, this.#currentChars ] = [ this.#current, this.#currentChars, new Map(), 0 ];
    }
    this.#current.set(value, opened);
    this.#currentChars += size;
  }
}
