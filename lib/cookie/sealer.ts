import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { RandomPool } from './random-pool.js';

// v2: the cookie name is authenticated as additional data (v1 cookies were not bound to a name)
const VERSION = 'v2.';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** HKDF purpose label: the derived key is only ever used for this cookie format. */
export const HKDF_INFO = 'egg-session-plus/cookie/aes-256-gcm/v1';

/** `keyIndex`: of the app key that opened it; 0 is the current key. */
export interface Opened { text: string; keyIndex: number }

// One AES-256 key per app key: HKDF-SHA256(ikm = app key, salt = none, info = HKDF_INFO). egg signs cookies with the raw app key (HMAC) and
// encrypts with an MD5-derived key, so this key never equals either.
export function deriveKey(appKey: string): KeyObject {
  return createSecretKey(Buffer.from(hkdfSync('sha256', appKey, '', HKDF_INFO, 32)));
}

// AES-256-GCM sealing: `v2.` + base64url(iv | ciphertext | tag), a fresh 96-bit IV per seal, with `name` (the cookie name) as additional
// authenticated data: a value sealed for one cookie does not open as another, even under the same keys. The first key seals, every key
// opens (key rotation).
export class Sealer {
  readonly #keys: KeyObject[];
  readonly #aad: Buffer;
  readonly #random = new RandomPool();

  constructor(appKeys: string[], name: string) {
    if (appKeys.length === 0) throw new TypeError('Sealer needs at least one key');
    this.#keys = appKeys.map(deriveKey);
    this.#aad = Buffer.from(name, 'utf8');
  }

  static isSealed(value: string): boolean {
    return value.startsWith(VERSION);
  }

  seal(text: string): string {
    // the IV is a view into the random pool: createCipheriv and concat copy it right away
    const iv = this.#random.take(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#keys[0], iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(this.#aad);
    return VERSION + Buffer.concat([ iv, cipher.update(text, 'utf8'), cipher.final(), cipher.getAuthTag() ]).toString('base64url');
  }

  /** The plaintext and the index of the key that opened it; undefined for anything not sealed by a listed key for this name. */
  open(value: string): Opened | undefined {
    if (!Sealer.isSealed(value)) return;
    const text = value.slice(VERSION.length);
    const body = Buffer.from(text, 'base64url');
    // Node skips characters outside the alphabet, also reads '+' '/' and ignores unused low bits of the last character: only the canonical
    // (unpadded) text of what was decoded is one cookie's one spelling
    if (text.length !== Math.ceil(body.length * 4 / 3) || body.length < IV_BYTES + TAG_BYTES + 2 || body.toString('base64url') !== text) return;
    const iv = body.subarray(0, IV_BYTES);
    const tag = body.subarray(body.length - TAG_BYTES);
    const ciphertext = body.subarray(IV_BYTES, body.length - TAG_BYTES);
    for (let keyIndex = 0; keyIndex < this.#keys.length; keyIndex++) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', this.#keys[keyIndex], iv, { authTagLength: TAG_BYTES });
        decipher.setAuthTag(tag);
        decipher.setAAD(this.#aad);
        return { text: decipher.update(ciphertext, undefined, 'utf8') + decipher.final('utf8'), keyIndex };
      } catch {
        // wrong key or tampered: try the next key
      }
    }
  }
}
