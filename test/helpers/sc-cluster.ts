import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startRedisServer, type RedisServer } from './redis.js';

export interface RedisCluster {
  ports: number[];
  stop(): Promise<void>;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (+10000) is free too. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort();
    if (port > 55000 || taken.has(port) || !await portIsFree(port + 10000)) continue;
    taken.add(port);
    return port;
  }
  throw new Error('no free port pair for a Redis Cluster node');
}

function cli(args: string[]): string {
  const result = spawnSync('redis-cli', args, { encoding: 'utf8', timeout: 20_000 });
  if (result.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  return result.stdout;
}

/** Starts a 3-master Redis Cluster on loopback ports (its own redis-servers, stopped by PID). */
export async function startRedisCluster(): Promise<RedisCluster> {
  const servers: RedisServer[] = [];
  const taken = new Set<number>();
  const stop = async () => {
    await Promise.all(servers.map(server => server.stop()));
  };
  try {
    for (let i = 0; i < 3; i++) {
      const port = await clusterPort(taken);
      servers.push(await startRedisServer([ '--cluster-enabled', 'yes', '--cluster-node-timeout', '2000' ], port));
    }
    const ports = servers.map(server => server.port);
    cli([ '--cluster', 'create', ...ports.map(port => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes' ]);
    for (let attempt = 0; attempt < 100; attempt++) {
      if (ports.every(port => cli([ '-p', String(port), 'cluster', 'info' ]).includes('cluster_state:ok'))) {
        return { ports, stop };
      }
      await sleep(100);
    }
    throw new Error('the Redis Cluster did not reach cluster_state:ok');
  } catch (error) {
    await stop();
    throw error;
  }
}
