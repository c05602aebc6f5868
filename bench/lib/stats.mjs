export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Medians of one variant over its rounds. The ratio to another variant is the median of the
 * per-round ratios: both ran in the same round, so drift of the machine cancels out.
 */
export function summarize(variant, results) {
  const rounds = results.get(variant.name)?.rounds ?? [];
  return {
    rps: median(rounds.map(r => r.rps)),
    p99: median(rounds.map(r => r.p99)),
    cpuPerRequest: median(rounds.map(r => r.cpuPerRequest)),
    redisCpuPerRequest: median(rounds.map(r => r.redisCpuPerRequest)),
    // share of one core the server used during the load: well under 100 % means the client was the limit
    busy: median(rounds.map(r => (r.rps * r.cpuPerRequest) / 1e6)),
    failed: rounds.reduce((sum, r) => sum + r.failed, 0),
    rounds: rounds.length,
  };
}

export function ratio(results, name, to) {
  const mine = results.get(name)?.rounds ?? [];
  const theirs = results.get(to)?.rounds ?? [];
  const perRound = [];
  for (let i = 0; i < Math.min(mine.length, theirs.length); i++) perRound.push(mine[i].rps / theirs[i].rps);
  return median(perRound);
}

/** Redis commands per request over all measured rounds, e.g. `{ get: 1, pexpire: 1 }`. */
export function commandsPerRequest(results, name) {
  const rounds = results.get(name)?.rounds ?? [];
  const totals = {};
  let requests = 0;
  for (const round of rounds) {
    if (!round.commands) continue;
    requests += round.requests;
    for (const [ command, calls ] of Object.entries(round.commands)) totals[command] = (totals[command] ?? 0) + calls;
  }
  if (!requests) return;
  const perRequest = {};
  for (const [ command, calls ] of Object.entries(totals)) perRequest[command] = calls / requests;
  return perRequest;
}
