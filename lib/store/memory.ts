import type { SessionStore, StoredSession } from '../types.js';
import { parseJsonObject } from '../codec/safe-json.js';

interface Entry {
  json: string;
  expiresAt: number;
}

/**
 * An in-process store for development and tests: entries expire with their maxAge and the
 * least recently used ones are evicted beyond `maxEntries`. Sessions are not shared between
 * processes.
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

  async get(key: string): Promise<StoredSession | undefined> {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    if (entry.expiresAt <= Date.now()) return;
    this.#entries.set(key, entry); // most recently used last
    return parseJsonObject(entry.json);
  }

  async set(key: string, value: StoredSession, maxAge?: number | 'session'): Promise<void> {
    const ttl = typeof maxAge === 'number' ? maxAge : this.#sessionTTL;
    this.#entries.delete(key);
    this.#entries.set(key, { json: JSON.stringify(value), expiresAt: Date.now() + ttl });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  async destroy(key: string): Promise<void> {
    this.#entries.delete(key);
  }
}
