// Phases B and C: concurrent clients, each with its own session counter, on the Redis store; while
// they run, the harness kills its redis-server, keeps it down, and starts it again on the same port.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

const COOKIE = 'EGG_SESS';
const PREFIX = 'stress:';
const REQUEST_TIMEOUT_MS = 10_000;
// after a failed request a client waits a little: 64 clients must not spin on 503s
const ERROR_PAUSE_MS = 20;
/** Redis back, clients must be served again within this */
export const RECOVERY_LIMIT_MS = 10_000;

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p / 100 * sorted.length))];
}

class Client {
  constructor(index, port, drill) {
    this.index = index;
    this.drill = drill;
    this.name = `c${index}`;
    this.port = port;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.id = undefined;
    /** the last count the server acknowledged with a 2xx */
    this.ack = 0;
    /** failed requests since the last 2xx: each may or may not have been committed */
    this.uncertain = 0;
    this.requests = 0;
    this.ok = 0;
    this.crossTalk = 0;
    this.lostWrites = 0;
    this.unexplained = 0;
    this.committedButFailed = 0;
    this.errors = [];
    this.problems = [];
  }

  request(path) {
    // an API client: in the prod env egg's onerror answers HTML requests with a 500 page for every 5xx
    // ("real status: 503"); JSON requests get the real status and the error code
    const headers = this.id ? { accept: 'application/json', cookie: `${COOKIE}=${this.id}` } : { accept: 'application/json' };
    return new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: this.port, path, agent: this.agent, headers, timeout: REQUEST_TIMEOUT_MS }, res => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', chunk => { text += chunk; });
        res.on('end', () => resolve({ status: res.statusCode, text, setCookies: res.headers['set-cookie'] ?? [] }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`timed out after ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', reject);
    });
  }

  problem(message) {
    if (this.problems.length < 5) this.problems.push(`${this.name}: ${message}`);
  }

  /** One /count request; checks the answer against this client's own sequence. */
  async step(latencies) {
    const started = performance.now();
    this.requests++;
    let reply;
    try {
      reply = await this.request(`/count?client=${this.name}`);
    } catch (error) {
      reply = { status: 0, text: error.message, setCookies: [] };
    }
    const at = Date.now();
    latencies.push(performance.now() - started);
    if (reply.status < 200 || reply.status > 299) {
      // the outage policy 'fail': 503 with the plugin's error code; anything else is reported as its own status
      const status = reply.status === 503 && !reply.text.includes('SESSION_STORE_UNAVAILABLE') ? '503 (other)' : reply.status;
      this.errors.push({ at, status });
      if (status !== 503) this.problem(`status ${reply.status}: ${reply.text.replace(/\s+/g, ' ').slice(0, 160)}`);
      this.uncertain++;
      await sleep(ERROR_PAUSE_MS);
      return;
    }
    this.ok++;
    if (this.drill.startedAt && at >= this.drill.startedAt && !this.firstOkAfter) this.firstOkAfter = at;
    const issued = reply.setCookies.find(line => line.startsWith(`${COOKIE}=`));
    if (issued) {
      const id = issued.slice(COOKIE.length + 1).split(';')[0];
      if (this.id && id !== this.id) this.problem(`session id changed from ${this.id} to ${id} at ack ${this.ack}`);
      this.id = id;
    }
    let body;
    try {
      body = JSON.parse(reply.text);
    } catch {
      this.unexplained++;
      this.problem(`not JSON: ${reply.text.slice(0, 100)}`);
      return;
    }
    if (body.client !== this.name) {
      this.crossTalk++;
      this.problem(`got the session of ${body.client}`);
    }
    const count = body.count;
    if (count === this.ack + 1) {
      // the normal case
    } else if (count > this.ack + 1 && count <= this.ack + 1 + this.uncertain) {
      // a request that answered with an error had been committed: not lost, reported
      this.committedButFailed += count - this.ack - 1;
    } else if (count <= this.ack) {
      this.lostWrites += this.ack + 1 - count;
      this.problem(`count ${count} after ack ${this.ack}: acknowledged writes lost`);
    } else {
      this.unexplained++;
      this.problem(`count ${count} after ack ${this.ack} with ${this.uncertain} failed requests`);
    }
    this.ack = count;
    this.uncertain = 0;
  }
}

/**
 * Runs `clients` clients for `durationMs`; at `outageAtMs` kills redis-server (SIGKILL), keeps it
 * down `outageMs`, starts it again. Then compares every client's last acknowledged count with the
 * server's answer and with Redis.
 */
export async function loadPhase({ app, redis, clients: clientCount, durationMs, outageAtMs, outageMs, maxRequestsPerClient, log }) {
  const drill = {};
  const clients = Array.from({ length: clientCount }, (_, i) => new Client(i, app.port, drill));
  const latencies = [];
  const started = Date.now();
  const end = started + durationMs;

  const outage = (async () => {
    if (!outageMs) return;
    await sleep(outageAtMs);
    log(`  outage: killing redis-server (pid ${redis.pid})`);
    drill.stoppedAt = Date.now();
    await redis.stop('SIGKILL');
    await sleep(Math.max(0, outageMs - (Date.now() - drill.stoppedAt)));
    drill.restartAt = Date.now();
    await redis.start();
    drill.startedAt = Date.now();
    log(`  outage: redis-server back after ${drill.startedAt - drill.stoppedAt} ms (pid ${redis.pid})`);
  })();

  await Promise.all(clients.map(async client => {
    while (Date.now() < end && client.requests < maxRequestsPerClient) await client.step(latencies);
  }));
  await outage;
  const elapsedMs = Date.now() - started;

  // verification: what the server answers and what Redis holds for each client's session
  const verifier = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: false, maxRetriesPerRequest: 2 });
  let lostSessions = 0;
  let verifyProblems = 0;
  let verified = 0;
  try {
    for (const client of clients) {
      if (!client.id) {
        if (client.ack) client.problem('acknowledged counts but no session id');
        continue;
      }
      let peek;
      try {
        peek = JSON.parse((await client.request('/peek')).text);
      } catch (error) {
        peek = { error: error.message };
      }
      const stored = await verifier.get(PREFIX + client.id);
      const storedCount = stored ? JSON.parse(stored).count : undefined;
      const max = client.ack + client.uncertain;
      const okServer = peek.client === client.name && peek.count >= client.ack && peek.count <= max;
      const okRedis = typeof storedCount === 'number' && storedCount >= client.ack && storedCount <= max;
      if ((storedCount ?? 0) < client.ack || (peek.count ?? 0) < client.ack) lostSessions++;
      if (!okServer || !okRedis) {
        verifyProblems++;
        client.problem(`after the load: ack ${client.ack} (+${client.uncertain} uncertain), server says ${JSON.stringify(peek)}, Redis holds ${storedCount}`);
      }
      verified++;
    }
  } finally {
    verifier.disconnect();
  }

  const all = clients.flatMap(client => client.errors);
  const statusCounts = {};
  for (const error of all) statusCounts[error.status] = (statusCounts[error.status] ?? 0) + 1;
  const sum = key => clients.reduce((total, client) => total + client[key], 0);
  const result = {
    clients: clientCount, elapsedMs, requests: sum('requests'), ok: sum('ok'), errors: all.length, statusCounts,
    crossTalk: sum('crossTalk'), lostWrites: sum('lostWrites'), unexplained: sum('unexplained'),
    committedButFailed: sum('committedButFailed'), lostSessions, verified, verifyProblems,
    problems: clients.flatMap(client => client.problems).slice(0, 10), alive: app.alive,
  };
  latencies.sort((a, b) => a - b);
  result.latency = { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) };
  if (drill.stoppedAt) {
    const during = all.filter(error => error.at >= drill.stoppedAt);
    // each client's first 2xx after redis-server listened again (a client that never got one: not recovered)
    const firstOk = clients.map(client => client.firstOkAfter);
    const recoveredAt = firstOk.some(at => at === undefined) ? Infinity : Math.max(...firstOk);
    result.outage = {
      downMs: drill.startedAt - drill.stoppedAt,
      errorsBefore: all.filter(error => error.at < drill.stoppedAt).length,
      errorsDuring: during.filter(error => error.at <= drill.startedAt + RECOVERY_LIMIT_MS).length,
      errorsAfterRecoveryLimit: during.filter(error => error.at > drill.startedAt + RECOVERY_LIMIT_MS).length,
      duringStatuses: during.reduce((counts, error) => ({ ...counts, [error.status]: (counts[error.status] ?? 0) + 1 }), {}),
      allRecoveredMs: recoveredAt - drill.startedAt,
      firstOkMs: Math.min(...firstOk.filter(at => at !== undefined)) - drill.startedAt,
    };
  }
  return result;
}
