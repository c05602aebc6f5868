import type { BuiltinStore, StoreRead, StoredSession } from '../types.js';
import { parseJsonObject } from '../json.js';

/** An in-process dev/test store, LRU beyond `maxEntries` (a burst of new sessions flushes older ones); destroyed stays destroyed. */
export class MemoryStore implements BuiltinStore {
  readonly storeName = 'memory';
  readonly #entries = new Map<string, { json: string; expiresAt: number }>();
  readonly #options: { maxEntries: number; sessionTTL: number };
  constructor(options: { maxEntries: number; sessionTTL: number }) { this.#options = options; }
  get size(): number { return this.#entries.size; }
  async read(id: string): Promise<StoreRead | undefined> {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    if (entry.expiresAt <= Date.now()) return;
    this.#entries.set(id, entry); // most recently used last
    const value = parseJsonObject(entry.json);
    return value && { value, snapshot: true };
  }
  async write(id: string, value: StoredSession, maxAge?: number | 'session', snapshot?: unknown): Promise<unknown> {
    if (snapshot && !this.#entries.has(id)) return;
    const expiresAt = Date.now() + (typeof maxAge === 'number' ? maxAge : this.#options.sessionTTL);
    this.#entries.delete(id);
    this.#entries.set(id, { json: JSON.stringify(value), expiresAt });
    while (this.#entries.size > this.#options.maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
    return true;
  }
  async remove(id: string): Promise<boolean> { return this.#entries.delete(id); }
  // the app.sessionStore contract, for whoever calls the store directly
  async get(id: string): Promise<StoredSession | undefined> { return (await this.read(id))?.value; }
  async set(id: string, value: StoredSession, maxAge?: number | 'session'): Promise<void> { await this.write(id, value, maxAge); }
  destroy(id: string): Promise<boolean> { return this.remove(id); }
}
