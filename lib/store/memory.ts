import type { SessionStore, StoreGetOptions, StoreSetOptions, StoredSession } from '../types.js';
import { parseJsonObject } from '../codec/safe-json.js';
import { markSessionGone, peekRequestSession } from '../request-session.js';

interface Entry {
  json: string;
  expiresAt: number;
}

/**
 * An in-process store for development and tests: entries expire with their maxAge and the
 * least recently used ones are evicted beyond `maxEntries`. Sessions are not shared between
 * processes. Like the Redis store, a session a request loaded is written back only while it
 * still exists: one destroyed meanwhile (a logout in another tab) stays destroyed.
 */
export class MemoryStore implements SessionStore {
  readonly storeName = 'memory';
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #sessionTTL: number;

  constructor(options: { maxEntries: number; sessionTTL: number }) {
    this.#maxEntries = options.maxEntries;
    this.#sessionTTL = options.sessionTTL;
  }

  get size(): number {
    return this.#entries.size;
  }

  async get(key: string, _maxAge?: number | 'session', options?: StoreGetOptions): Promise<StoredSession | undefined> {
    const entry = this.#entries.get(key);
    if (!entry) return;
    // the id a request loaded is kept by its session owner
    const owner = options?.ctx && peekRequestSession(options.ctx);
    if (owner) owner.storeLoaded = key;
    this.#entries.delete(key);
    if (entry.expiresAt <= Date.now()) return;
    this.#entries.set(key, entry); // most recently used last
    return parseJsonObject(entry.json);
  }

  async set(key: string, value: StoredSession, maxAge?: number | 'session', options?: StoreSetOptions): Promise<void> {
    const ttl = typeof maxAge === 'number' ? maxAge : this.#sessionTTL;
    const loadedHere = options?.ctx !== undefined && peekRequestSession(options.ctx)?.storeLoaded === key;
    if (loadedHere && !this.#entries.has(key)) {
      markSessionGone(options.ctx, key, true);
      return;
    }
    this.#entries.delete(key);
    this.#entries.set(key, { json: JSON.stringify(value), expiresAt: Date.now() + ttl });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  /** Returns whether the session existed. */
  async destroy(key: string): Promise<boolean> {
    return this.#entries.delete(key);
  }
}
