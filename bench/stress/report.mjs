// The stress table: one row per promise (or figure), printed and written to bench/STRESS.md.
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export function machine() {
  let redis = 'not found';
  try {
    redis = execFileSync('redis-server', [ '--version' ], { encoding: 'utf8' }).match(/v=([\d.]+)/)?.[1] ?? 'unknown';
  } catch {
    // no redis-server
  }
  const cpus = os.cpus();
  return `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
    `${os.type()} ${os.release()}, Node ${process.version}, redis-server ${redis}`;
}

const ms = value => (value === undefined || !Number.isFinite(value) ? 'never' : `${Math.round(value)} ms`);
const counts = object => Object.entries(object ?? {}).map(([ key, value ]) => `${key === '0' ? 'no answer' : key}: ${value}`).join(', ') || 'none';

/** Rows `{ check, result, promise, ok }`; ok undefined for figures that promise nothing. */
export function rows({ hostile, hostileIds, load, settings }) {
  const out = [];
  const row = (check, result, promise, ok) => out.push({ check, result, promise, ok });
  if (hostile) {
    const freshFailed = hostile.failed - hostile.eventMismatches;
    row('A. hostile cookies sent (cookie store, prod env)', `${hostile.cases} of ${hostile.requested} in ${(hostile.elapsedMs / 1000).toFixed(1)} s (${Math.round(hostile.cases / hostile.elapsedMs * 1000)}/s), seed ${settings.seed}`,
      `all ${hostile.requested} sent`, hostile.cases === hostile.requested && !hostile.timedOut);
    row('A. 2xx with a fresh empty session, no session cookie written', `${hostile.cases - freshFailed} / ${hostile.cases} (statuses ${counts(hostile.statuses)})`, 'all', freshFailed === 0);
    row('A. session events per case', `invalid ${hostile.totals.invalid}/${hostile.wanted.invalid}, expired ${hostile.totals.expired}/${hostile.wanted.expired}, missed ${hostile.totals.missed}, error ${hostile.totals.error}; ${hostile.eventMismatches} cases off`,
      'exactly the expected event per case', hostile.eventMismatches === 0 && hostile.totals.error === 0);
    row('A. Object.prototype in the app, app process', `${hostile.protoUntouched ? 'untouched' : 'CHANGED'}, ${hostile.alive ? 'up' : 'DOWN'}`, 'untouched, up', hostile.protoUntouched && hostile.alive);
  }
  if (hostileIds) {
    const freshFailed = hostileIds.failed - hostileIds.eventMismatches;
    row('A2. hostile session ids sent (Redis store, prod env)', `${hostileIds.cases} of ${hostileIds.requested} in ${(hostileIds.elapsedMs / 1000).toFixed(1)} s, seed ${settings.seed}`,
      `all ${hostileIds.requested} sent`, hostileIds.cases === hostileIds.requested && !hostileIds.timedOut);
    row('A2. 2xx with a fresh empty session, nothing written to Redis', `${hostileIds.cases - freshFailed} / ${hostileIds.cases} (statuses ${counts(hostileIds.statuses)}); ${hostileIds.keysWritten} keys written`,
      'all; 0 keys', freshFailed === 0 && hostileIds.keysWritten <= 0);
    row('A2. session events per case', `invalid ${hostileIds.totals.invalid}/${hostileIds.wanted.invalid}, expired ${hostileIds.totals.expired}/${hostileIds.wanted.expired}, missed ${hostileIds.totals.missed}/${hostileIds.wanted.missed}; ${hostileIds.eventMismatches} cases off`,
      'exactly the expected event per case', hostileIds.eventMismatches === 0 && hostileIds.totals.error === 0);
    row('A2. Object.prototype in the app, app process', `${hostileIds.protoUntouched ? 'untouched' : 'CHANGED'}, ${hostileIds.alive ? 'up' : 'DOWN'}`, 'untouched, up', hostileIds.protoUntouched && hostileIds.alive);
  }
  if (load) {
    row('B. load (Redis store, onStoreError fail)', `${load.clients} clients × ${(load.elapsedMs / 1000).toFixed(1)} s: ${load.requests} requests (${Math.round(load.requests / load.elapsedMs * 1000)}/s), ` +
      `p50 ${ms(load.latency.p50)}, p99 ${ms(load.latency.p99)}, max ${ms(load.latency.max)}`, `≥ 50 clients, ≥ ${settings.duration} s`, load.clients >= 50 && load.elapsedMs >= settings.duration * 1000);
    row('B. cross-talk (a client got another one\'s session)', String(load.crossTalk), '0', load.crossTalk === 0);
    row('B. lost or unexplained counts (each answer = own count + 1)', `${load.lostWrites} lost, ${load.unexplained} unexplained`, '0', load.lostWrites === 0 && load.unexplained === 0);
    const outage = load.outage;
    if (outage) {
      row('B. errors outside the outage', `${outage.errorsBefore} before, ${outage.errorsAfterRecoveryLimit} later than ${settings.recoveryLimitMs / 1000} s after Redis was back`, '0', outage.errorsBefore === 0 && outage.errorsAfterRecoveryLimit === 0);
      const only503 = Object.keys(outage.duringStatuses).every(status => status === '503');
      row('C. errors during the outage', `${outage.errorsDuring} (${counts(outage.duringStatuses)}) while redis-server was down ${ms(outage.downMs)} (SIGKILL, restart on the same port)`, '503 only (fail fast, no 500, no hang)', only503);
      row('C. recovery after Redis is back', `first 2xx after ${ms(outage.firstOkMs)}, every client served again after ${ms(outage.allRecoveredMs)}`, `≤ ${settings.recoveryLimitMs / 1000} s, no restart`, Number.isFinite(outage.allRecoveredMs) && outage.allRecoveredMs <= settings.recoveryLimitMs);
      row('C. answered 503 but committed (counted, not lost)', String(load.committedButFailed), undefined, undefined);
    } else {
      row('B. errors', `${load.errors} (${counts(load.statusCounts)})`, '0', load.errors === 0);
    }
    row('C. committed sessions lost (last acknowledged count vs server and Redis)', `${load.lostSessions} lost of ${load.verified} sessions; ${load.verifyProblems} disagree`, '0', load.lostSessions === 0 && load.verifyProblems === 0);
    row('B. app process', load.alive ? 'up' : 'DOWN', 'up', load.alive);
  }
  return out;
}

export function markdownTable(table) {
  const lines = [ '| Check | Result | Promise | OK |', '|---|---|---|---|' ];
  for (const { check, result, promise, ok } of table) {
    lines.push(`| ${check} | ${result} | ${promise ?? '—'} | ${ok === undefined ? '—' : ok ? 'yes' : '**NO**'} |`);
  }
  return lines.join('\n');
}
