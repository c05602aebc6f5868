import { commandsPerRequest, ratio, summarize } from './stats.mjs';

const fixed = (value, digits) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const times = value => (Number.isFinite(value) ? `${value.toFixed(2)}×` : '–');

function formatCommands(perRequest) {
  if (!perRequest) return '';
  return Object.entries(perRequest)
    .filter(([ , calls ]) => calls >= 0.01)
    .sort((a, b) => b[1] - a[1])
    .map(([ command, calls ]) => `${command.toUpperCase()} ${calls.toFixed(2)}`)
    .join(', ');
}

function table(header, rows) {
  const line = cells => `| ${cells.join(' | ')} |`;
  return [ line(header), line(header.map(() => '---')), ...rows.map(line) ].join('\n');
}

export function resultsTable(variants, results) {
  const base = summarize({ name: 'baseline' }, results);
  const rows = [];
  for (const variant of variants) {
    const entry = results.get(variant.name);
    if (entry?.skipped) {
      rows.push([ `${variant.label} (\`${variant.name}\`)`, `skipped: ${entry.skipped}`, ...Array(11).fill('') ]);
      continue;
    }
    const s = summarize(variant, results);
    const notes = [];
    if (variant.route === '/ro' && entry?.setCookie !== undefined) notes.push(entry.setCookie ? 'Set-Cookie sent' : 'no Set-Cookie');
    if (s.failed) notes.push(`${s.failed} failed requests`);
    rows.push([
      `${variant.label} (\`${variant.name}\`)`,
      fixed(s.rps, 0),
      variant.name === 'baseline' ? '1.00×' : times(ratio(results, variant.name, 'baseline')),
      variant.compare ? `${times(ratio(results, variant.name, variant.compare))} \`${variant.compare}\`` : '',
      fixed(s.p99, 1),
      fixed(s.cpuPerRequest, 1),
      fixed(s.busy * 100, 0),
      variant.name === 'baseline' ? '' : `+${fixed(s.cpuPerRequest - base.cpuPerRequest, 1)}`,
      fixed(entry?.maxRss / 2 ** 20, 0),
      entry?.cookieBytes ? String(entry.cookieBytes) : '',
      variant.redis ? fixed(s.redisCpuPerRequest, 1) : '',
      formatCommands(commandsPerRequest(results, variant.name)),
      notes.join('; '),
    ]);
  }
  return table([
    'Variant', 'req/s (median)', '× baseline', '× compared with', 'p99 ms', 'server CPU µs/req', 'server busy %', 'CPU µs vs baseline',
    'peak RSS MB', 'Cookie bytes sent', 'redis-server CPU µs/req', 'Redis cmds/req', 'Notes',
  ], rows);
}

/** Each target of the issue: measured value and whether it is met ('n/a' when its variants did not run). */
export function evaluateTargets(targets, results) {
  return targets.map(target => {
    const entry = results.get(target.variant);
    if (!entry || entry.skipped || !entry.rounds.length) return { ...target, measured: 'not run', met: undefined };
    if (target.ratio) {
      const other = results.get(target.ratio.to);
      if (!other || other.skipped || !other.rounds.length) return { ...target, measured: 'not run', met: undefined };
      const value = ratio(results, target.variant, target.ratio.to);
      return { ...target, measured: times(value), met: value >= target.ratio.min };
    }
    if (target.noSetCookie) {
      return { ...target, measured: entry.setCookie ? 'Set-Cookie sent' : 'no Set-Cookie', met: !entry.setCookie };
    }
    const perRequest = commandsPerRequest(results, target.variant) ?? {};
    const met = (perRequest[target.commands.require] ?? 0) >= 0.99 && target.commands.forbid.every(c => !(perRequest[c] >= 0.01));
    return { ...target, measured: formatCommands(perRequest) || 'no commands', met };
  });
}

export function targetsTable(evaluated) {
  return table([ 'Target', 'Variant', 'Measured', 'Met' ], evaluated.map(t => [
    t.text, `\`${t.variant}\``, t.measured, t.met === undefined ? 'n/a' : (t.met ? 'yes' : '**no**'),
  ]));
}

export function profileSection(name, summary) {
  const functions = list => table([ 'µs/req', '%', 'function', 'package', 'location' ], list.map(f => [
    fixed(f.perRequest, 2), fixed(f.percent, 1), `\`${f.name}\``, f.pkg, f.where,
  ]));
  const packages = table([ 'package', 'self µs/req', 'self %' ], summary.packages.slice(0, 12).map(p => [
    p.pkg, fixed(p.perRequest, 2), fixed(p.percent, 1),
  ]));
  return [
    `### \`${name}\``,
    '',
    `${summary.requests} requests, ${fixed(summary.busyMs, 0)} ms of busy CPU sampled: ${fixed(summary.busyPerRequest, 1)} µs per request.`,
    '', 'Top functions by self time:', '', functions(summary.topSelf),
    '', 'Self time by package:', '', packages,
    '', 'Session-related functions, inclusive time (the function and what it calls):', '', functions(summary.sessionInclusive),
  ].join('\n');
}
