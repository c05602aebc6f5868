/**
 * "Your devices" needs sessions the server can list: a session store (SESSION_STORE=redis) with the
 * plugin's session control, which indexes every session that carries `ctx.session.userId`.
 * Sealed cookie sessions live only in browsers, so there is nothing to list.
 */
export function devicesListable(app) {
  if (!app.sessionStore) return false;
  try {
    return Boolean(app.sessions); // the getter throws (explaining how to enable it) when session control is off
  } catch {
    return false;
  }
}

const BROWSERS = [
  [ /Edg\/(\d+)/, 'Edge' ],
  [ /HeadlessChrome\/(\d+)/, 'Headless Chrome' ],
  [ /Chrom(?:e|ium)\/(\d+)/, 'Chrome' ],
  [ /Firefox\/(\d+)/, 'Firefox' ],
  [ /Version\/(\d+)[\d.]* .*Safari\//, 'Safari' ],
  [ /^curl\/([\d.]+)/, 'curl' ],
];
const SYSTEMS = [
  [ /Android/, 'Android' ], [ /iPhone|iPad/, 'iOS' ], [ /Windows/, 'Windows' ],
  [ /Mac OS X|Macintosh/, 'macOS' ], [ /Linux|X11/, 'Linux' ],
];

/** "Chrome 120 on Linux" from a user agent; the raw string when nothing matches. */
export function describeUserAgent(userAgent) {
  if (!userAgent) return 'Unknown device';
  const browser = BROWSERS.find(([ pattern ]) => pattern.test(userAgent));
  if (!browser) return userAgent.slice(0, 60);
  const version = browser[0].exec(userAgent)[1];
  const system = SYSTEMS.find(([ pattern ]) => pattern.test(userAgent));
  return `${browser[1]} ${version}${system ? ` on ${system[1]}` : ''}`;
}

/** "3 minutes ago" style, for times in the past. */
export function timeAgo(ms, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 45) return 'just now';
  const units = [ [ 'day', 86400 ], [ 'hour', 3600 ], [ 'minute', 60 ] ];
  for (const [ unit, size ] of units) {
    const count = Math.round(seconds / size);
    if (count >= 1) return `${count} ${unit}${count === 1 ? '' : 's'} ago`;
  }
  return 'just now';
}
