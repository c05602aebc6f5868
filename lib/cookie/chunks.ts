// Sessions larger than one cookie (`onCookieTooLarge: 'split'`) go out as `EGG_SESS`, `EGG_SESS.1`, …: the first chunk starts with
// `s<count>.`, so a reader joins that many and ignores chunks left from a larger earlier session. The joined value is opened as one sealed
// cookie: a dropped, reordered or changed chunk fails as a whole.
const MARK = /^s([2-9]|[1-9][0-9])\./;
// the chunk names any configuration makes (maxCookieChunks <= 20): a request cannot make a response huge
const CHUNK_SUFFIX = /^([1-9]|1[0-9])$/;

export function chunkCountOf(value: string): number {
  const mark = MARK.exec(value);
  return mark ? Number(mark[1]) : 1;
}

/** The whole value whose first chunk is `first`, the others read with `read`; undefined when one is missing or over `maxChunks`. */
export function joinChunks(first: string, key: string, maxChunks: number, read: (name: string) => string | undefined): string | undefined {
  const count = chunkCountOf(first);
  if (count === 1) return first;
  if (count > maxChunks) return;
  let value = first.slice(first.indexOf('.') + 1);
  for (let index = 1; index < count; index++) {
    const chunk = read(`${key}.${index}`);
    if (!chunk) return;
    value += chunk;
  }
  return value;
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
  const sent: number[] = [];
  for (const pair of header.split(';')) {
    const name = pair.slice(0, pair.indexOf('=')).trim();
    const suffix = name.slice(key.length + 1);
    if (name.startsWith(`${key}.`) && CHUNK_SUFFIX.test(suffix)) sent.push(Number(suffix));
  }
  return sent;
}
