import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { RandomPool } from './random-pool.js';

const VERSION = 'v2.'; // v2: the cookie name is authenticated (v1 cookies were not bound to a name)
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const HKDF_INFO = 'egg-session-plus/cookie/aes-256-gcm/v1'; // the derived key is only ever used for this cookie format

/** `keyIndex`: of the app key that opened it; 0 is the current key. */
export interface Opened { text: string; keyIndex: number }

// HKDF-SHA256(app key, no salt, HKDF_INFO): egg signs cookies with the raw app key (HMAC) and encrypts with an MD5-derived key, so this key never
// equals either.
export function deriveKey(appKey: string): KeyObject {
  return createSecretKey(Buffer.from(hkdfSync('sha256', appKey, '', HKDF_INFO, 32)));
}

// AES-256-GCM: `v2.` + base64url(iv | ciphertext | tag), a fresh 96-bit IV per seal, the cookie name as additional data: a value sealed for one
// cookie does not open as another, even under the same keys. The first key seals, every key opens (rotation).
export class Sealer {
  readonly #keys: KeyObject[];
  readonly #aad: Buffer;
  readonly #random = new RandomPool();
  constructor(appKeys: string[], name: string) {
    if (appKeys.length === 0) throw new TypeError('Sealer needs at least one key');
    this.#keys = appKeys.map(deriveKey);
    this.#aad = Buffer.from(name, 'utf8');
  }
  static isSealed(value: string): boolean { return value.startsWith(VERSION); }
  seal(text: string): string {
    // the IV is a view into the random pool: createCipheriv and concat copy it right away
    const iv = this.#random.take(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#keys[0], iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(this.#aad);
    return VERSION + Buffer.concat([ iv, cipher.update(text, 'utf8'), cipher.final(), cipher.getAuthTag() ]).toString('base64url');
  }
  /** Undefined for anything not sealed by a listed key for this name. */
  open(value: string): Opened | undefined {
    if (!Sealer.isSealed(value)) return;
    const text = value.slice(VERSION.length);
    const body = Buffer.from(text, 'base64url');
    // Node skips characters outside the alphabet, reads '+' '/' and ignores unused low bits of the last character: only the canonical (unpadded) text
    // is a cookie's one spelling
    if (text.length !== Math.ceil(body.length * 4 / 3) || body.length < IV_BYTES + TAG_BYTES + 2 || body.toString('base64url') !== text) return;
    const [ iv, ciphertext, tag ] = [ body.subarray(0, IV_BYTES), body.subarray(IV_BYTES, -TAG_BYTES), body.subarray(-TAG_BYTES) ];
    for (let keyIndex = 0; keyIndex < this.#keys.length; keyIndex++) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', this.#keys[keyIndex], iv, { authTagLength: TAG_BYTES });
        decipher.setAuthTag(tag);
        decipher.setAAD(this.#aad);
        return { text: decipher.update(ciphertext, undefined, 'utf8') + decipher.final('utf8'), keyIndex };
      } catch {} // wrong key or tampered: try the next key
    }
  }
}
