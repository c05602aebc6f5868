import { readFileSync } from 'node:fs';

// packages whose inclusive time is the session's cost
const SESSION_PACKAGES = new Set([ 'koa-session', '@eggjs/session', 'egg-session-plus', '@eggjs/cookies', 'crc', 'ioredis', '@eggjs/redis' ]);

function packageOf(url, pluginRoot) {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const at = url.lastIndexOf('/node_modules/');
  if (at >= 0) {
    const parts = url.slice(at + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const file = url.replace(/^file:\/\//, '');
  if (pluginRoot && file.startsWith(pluginRoot)) return file.includes('/bench/') ? 'bench app' : 'egg-session-plus';
  return 'other';
}

function location(url, line, pluginRoot) {
  if (!url) return '';
  let file = url.replace(/^file:\/\//, '');
  const at = file.lastIndexOf('/node_modules/');
  if (at >= 0) file = file.slice(at + '/node_modules/'.length);
  else if (pluginRoot && file.startsWith(pluginRoot)) file = file.slice(pluginRoot.length + 1);
  return `${file}:${line + 1}`;
}

/**
 * Summarizes a V8 .cpuprofile: self time per function, self time per package, and inclusive
 * time of the session-related functions, as % of the busy (non-idle) samples and as µs per request.
 */
export function summarizeProfile(file, pluginRoot, requests, top = 15) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map(node => [ node.id, node ]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const keyOf = node => {
    const { functionName, url, lineNumber } = node.callFrame;
    return `${functionName || '(anonymous)'}\u0000${url}\u0000${lineNumber}`;
  };
  const self = new Map();
  const inclusive = new Map();
  const byPackage = new Map();
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = nodes.get(profile.samples[i]);
    const dt = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    if (!node || node.callFrame.functionName === '(idle)') continue;
    busy += dt;
    const key = keyOf(node);
    self.set(key, (self.get(key) ?? 0) + dt);
    const pkg = node.callFrame.functionName === '(garbage collector)' ? 'GC' : packageOf(node.callFrame.url, pluginRoot);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt);
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const frame = nodes.get(id);
      if (!SESSION_PACKAGES.has(packageOf(frame.callFrame.url, pluginRoot))) continue;
      const frameKey = keyOf(frame);
      if (seen.has(frameKey)) continue;
      seen.add(frameKey);
      inclusive.set(frameKey, (inclusive.get(frameKey) ?? 0) + dt);
    }
  }

  const describe = (entries, limit) => [ ...entries ]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([ key, time ]) => {
      const [ name, url, line ] = key.split('\u0000');
      return { percent: (100 * time) / busy, perRequest: time / requests, name, where: location(url, Number(line), pluginRoot), pkg: packageOf(url, pluginRoot) };
    });
  return {
    busyMs: busy / 1000,
    requests,
    busyPerRequest: busy / requests,
    topSelf: describe(self, top),
    packages: [ ...byPackage ].sort((a, b) => b[1] - a[1]).map(([ pkg, time ]) => ({ pkg, percent: (100 * time) / busy, perRequest: time / requests })),
    sessionInclusive: describe(inclusive, top),
  };
}
