/**
 * Every variant the bench runs. `app` is a folder under bench/apps; `session` is merged into
 * `config.session`; `bytes` pads the session JSON to about that size (0: the 10 fields only);
 * `compare` names the variant this one is measured against besides the baseline. Every request sends
 * the cookie /login set, unless `chain`: then each connection sends the cookies of its last response.
 */
const TWO_KB = 2048;
const TEN_KB = 10 * 1024;

export const VARIANTS = [
  { name: 'baseline', label: 'baseline: no session plugin', app: 'baseline', route: '/rw' },

  { name: 'up-cookie-rw', label: 'upstream signed cookie, read+write', app: 'upstream', route: '/rw' },
  { name: 'up-cookie-ro', label: 'upstream signed cookie, read-only', app: 'upstream', route: '/ro' },
  { name: 'up-encrypt-rw', label: 'upstream `encrypt: true`, read+write', app: 'upstream', route: '/rw', session: { encrypt: true } },
  { name: 'up-cookie-2k-rw', label: 'upstream signed cookie 2 KB, read+write', app: 'upstream', route: '/rw', bytes: TWO_KB },
  { name: 'up-cookie-2k-ro', label: 'upstream signed cookie 2 KB, read-only', app: 'upstream', route: '/ro', bytes: TWO_KB },

  { name: 'ours-cookie-rw', label: 'ours AES-GCM cookie, read+write', app: 'ours', route: '/rw', compare: 'up-cookie-rw' },
  { name: 'ours-cookie-ro', label: 'ours AES-GCM cookie, read-only', app: 'ours', route: '/ro', compare: 'up-cookie-ro' },
  { name: 'ours-cookie-2k-rw', label: 'ours AES-GCM cookie 2 KB, read+write', app: 'ours', route: '/rw', bytes: TWO_KB, compare: 'up-cookie-2k-rw' },
  { name: 'ours-cookie-2k-ro', label: 'ours AES-GCM cookie 2 KB, read-only', app: 'ours', route: '/ro', bytes: TWO_KB, compare: 'up-cookie-2k-ro' },

  // a browser sends the cookie of the previous response: with writes, a new cookie every time
  { name: 'up-cookie-rw-chain', label: 'upstream signed cookie, read+write, cookie chained like a browser', app: 'upstream', route: '/rw', chain: true },
  { name: 'ours-cookie-rw-chain', label: 'ours AES-GCM cookie, read+write, cookie chained like a browser', app: 'ours', route: '/rw', chain: true, compare: 'up-cookie-rw-chain' },

  { name: 'up-redis-rw', label: 'upstream README Redis store, read+write', app: 'upstream', route: '/rw', redis: true, env: { BENCH_STORE: 'readme-redis' } },
  { name: 'up-redis-ro', label: 'upstream README Redis store, read-only', app: 'upstream', route: '/ro', redis: true, env: { BENCH_STORE: 'readme-redis' } },
  { name: 'up-redis-rolling', label: 'upstream README Redis store, rolling, unchanged', app: 'upstream', route: '/ro', redis: true, env: { BENCH_STORE: 'readme-redis' }, session: { rolling: true } },

  { name: 'ours-redis-rw', label: 'ours Redis store, read+write', app: 'ours', route: '/rw', redis: true, session: { store: 'redis', redis: { prefix: 'bench-rw:' } }, compare: 'up-redis-rw' },
  { name: 'ours-redis-ro', label: 'ours Redis store, read-only', app: 'ours', route: '/ro', redis: true, session: { store: 'redis', redis: { prefix: 'bench-ro:' } }, compare: 'up-redis-ro' },
  { name: 'ours-redis-rolling', label: 'ours Redis store, rolling, unchanged', app: 'ours', route: '/ro', redis: true, session: { store: 'redis', rolling: true, redis: { prefix: 'bench-roll:' } }, compare: 'up-redis-rolling' },
  { name: 'ours-redis-nocontrol-rw', label: 'ours Redis store, session control off, read+write', app: 'ours', route: '/rw', redis: true, session: { store: 'redis', control: { enable: false }, redis: { prefix: 'bench-noctl:' } }, compare: 'up-redis-rw' },
  // a session larger than one cookie: split over cookies (onCookieTooLarge 'split') against the same session in Redis
  { name: 'ours-redis-10k-rw', label: 'ours Redis store, 10 KB session, read+write', app: 'ours', route: '/rw', redis: true, bytes: TEN_KB, session: { store: 'redis', redis: { prefix: 'bench-10k:' } } },
  { name: 'ours-split-10k-rw', label: 'ours AES-GCM cookie split over cookies, 10 KB session, read+write', app: 'ours', route: '/rw', bytes: TEN_KB, session: { onCookieTooLarge: 'split' }, compare: 'ours-redis-10k-rw' },
  { name: 'ours-redis-merge-rw', label: 'ours Redis store, merge saves, read+write', app: 'ours', route: '/rw', redis: true, session: { store: 'redis', redis: { prefix: 'bench-merge:', merge: true } }, compare: 'ours-redis-rw' },
];

/**
 * The targets, checked on the medians of one run. `ratio` is a variant's throughput over
 * another's (per-round ratios, median), `noSetCookie` means the route answered without Set-Cookie,
 * `commands` checks the Redis commands one request sent.
 */
export const TARGETS = [
  { variant: 'ours-cookie-rw', text: 'encrypted cookie read+write ≥ 1.3× upstream signed-only', ratio: { to: 'up-cookie-rw', min: 1.3 } },
  { variant: 'ours-cookie-rw', text: 'encrypted cookie read+write ≥ 0.65× baseline', ratio: { to: 'baseline', min: 0.65 } },
  { variant: 'ours-cookie-ro', text: 'encrypted cookie read-only ≥ 0.85× baseline', ratio: { to: 'baseline', min: 0.85 } },
  { variant: 'ours-cookie-ro', text: 'read-only sends no Set-Cookie', noSetCookie: true },
  { variant: 'ours-redis-rw', text: 'built-in Redis read+write ≥ 1.15× README store', ratio: { to: 'up-redis-rw', min: 1.15 } },
  // SET is how the store writes a session value (HSET would be the merge format's, but it also
  // writes session control's per-user index, which is not the session value)
  { variant: 'ours-redis-rolling', text: 'rolling, unchanged data: PEXPIRE, never the value (no SET)', commands: { require: 'pexpire', forbid: [ 'set', 'setex', 'psetex' ] } },
];
