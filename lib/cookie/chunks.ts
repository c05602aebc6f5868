// A split session (`onCookieTooLarge: 'split'`) goes out as `EGG_SESS`, `EGG_SESS.1`, …; the first chunk starts with `s<count>.`, so chunks left from
// a larger earlier session are ignored. The joined value opens as one sealed cookie: any bad chunk fails it whole.
const MARK = /^s([2-9]|[1-9][0-9])\./;
// only the chunk names a configuration can make (maxCookieChunks <= 20): a request cannot make a response huge
const CHUNK_SUFFIX = /^([1-9]|1[0-9])$/;

export function chunkCountOf(value: string): number {
  return Number(MARK.exec(value)?.[1] ?? 1);
}

export function joinChunks(first: string, key: string, maxChunks: number, read: (name: string) => string | undefined): string | undefined {
  const count = chunkCountOf(first);
  if (count === 1) return first;
  if (count > maxChunks) return;
  const rest = Array.from({ length: count - 1 }, (_, index) => read(`${key}.${index + 1}`));
  return rest.every(Boolean) ? first.slice(first.indexOf('.') + 1) + rest.join('') : undefined;
}

/** `value` cut into at most `maxChunks` whose Set-Cookie lines (`overhead` bytes besides name and value) fit `limit`, if it can be. */
export function splitValue(value: string, key: string, limit: number, overhead: number, maxChunks: number): string[] | undefined {
  for (let count = 2; count <= maxChunks; count++) {
    // the longest name (`<key>.<count - 1>=`) and the mark bound every chunk; base64url: characters are bytes
    const room = limit - overhead - `${key}.${count - 1}=`.length - `s${count}.`.length;
    if (room <= 0) return;
    if (room * count < value.length) continue;
    const size = Math.ceil(value.length / count);
    const chunks: string[] = [];
    for (let at = 0; at < value.length; at += size) chunks.push(value.slice(at, at + size));
    chunks[0] = `s${chunks.length}.${chunks[0]}`;
    return chunks;
  }
}

export function sentChunks(header: string, key: string): number[] {
  if (!header.includes(`${key}.`)) return [];
  return header.split(';').map(pair => pair.slice(0, pair.indexOf('=')).trim())
    .filter(name => name.startsWith(`${key}.`) && CHUNK_SUFFIX.test(name.slice(key.length + 1))).map(name => Number(name.slice(key.length + 1)));
}
