/**
 * Sessions larger than one cookie (`onCookieTooLarge: 'split'`): the sealed value is cut into
 * `EGG_SESS`, `EGG_SESS.1`, … The first chunk starts with `s<count>.`, so a reader knows how many to
 * join and ignores chunks left over from a larger earlier session; the joined value is opened and
 * authenticated as one sealed cookie, so a dropped, reordered or changed chunk fails as a whole.
 */
const MARK = /^s([2-9]|[1-9][0-9])\./;
// the chunk names any configuration makes (maxCookieChunks <= 20): a request cannot make a response huge
const CHUNK_SUFFIX = /^([1-9]|1[0-9])$/;

export function chunkName(key: string, index: number): string {
  return `${key}.${index}`;
}

/** How many chunks a first chunk says there are (1: not a chunked value). */
export function chunkCountOf(value: string): number {
  const mark = MARK.exec(value);
  return mark ? Number(mark[1]) : 1;
}

/**
 * The whole value of a chunked cookie whose first chunk is `first`, reading the others with `read`;
 * undefined when a chunk is missing or there are more than `maxChunks`.
 */
export function joinChunks(first: string, key: string, maxChunks: number, read: (name: string) => string | undefined): string | undefined {
  const count = chunkCountOf(first);
  if (count === 1) return first;
  if (count > maxChunks) return;
  let value = first.slice(first.indexOf('.') + 1);
  for (let index = 1; index < count; index++) {
    const chunk = read(chunkName(key, index));
    if (!chunk) return;
    value += chunk;
  }
  return value;
}

/**
 * Cuts `value` into at most `maxChunks` cookie values whose Set-Cookie lines stay within `limit`
 * bytes, given the bytes a line takes besides its name and value (`overhead`); undefined when it does
 * not fit. The value is base64url and ASCII, so characters are bytes.
 */
export function splitValue(value: string, key: string, limit: number, overhead: number, maxChunks: number): string[] | undefined {
  for (let count = 2; count <= maxChunks; count++) {
    // the longest name (`EGG_SESS.<n>=`) and the mark bound every chunk's budget
    const room = limit - overhead - chunkName(key, count - 1).length - 1 - `s${count}.`.length;
    if (room <= 0) return;
    if (room * count < value.length) continue;
    const size = Math.ceil(value.length / count);
    const chunks: string[] = [];
    for (let at = 0; at < value.length; at += size) chunks.push(value.slice(at, at + size));
    chunks[0] = `s${chunks.length}.${chunks[0]}`;
    return chunks;
  }
}

/** The chunk numbers (`<key>.1`, `<key>.2`, …) a Cookie header sends. */
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
