import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startRedisServer, type RedisServer } from './redis.js';

export interface RedisClusterServers {
  ports: number[];
  nodes: RedisServer[];
  /** stops every node by its PID */
  stop(): Promise<void>;
}

function redisCli(args: string[], timeout = 20_000): string {
  const result = spawnSync('redis-cli', args, { encoding: 'utf8', timeout });
  if (result.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  return result.stdout;
}

export function hasRedisCli(): boolean {
  return spawnSync('redis-cli', [ '--version' ], { stdio: 'ignore' }).status === 0;
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

/**
 * A Redis Cluster of `masters` loopback redis-servers (no replicas, each stopped by PID), created with
 * `redis-cli --cluster create`; resolves once every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterServers> {
  const nodes: RedisServer[] = [];
  const taken = new Set<number>();
  const stop = async () => {
    await Promise.all(nodes.map(node => node.stop()));
  };
  try {
    for (let i = 0; i < masters; i++) {
      // a relative config file lands in the node's own --dir
      const args = [ '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000' ];
      nodes.push(await startRedisServer(args, await clusterPort(taken)));
    }
    const ports = nodes.map(node => node.port);
    redisCli([ '--cluster', 'create', ...ports.map(port => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes' ]);
    const deadline = Date.now() + 20_000;
    while (!ports.every(port => redisCli([ '-h', '127.0.0.1', '-p', String(port), 'cluster', 'info' ]).includes('cluster_state:ok'))) {
      if (Date.now() > deadline) throw new Error('the Redis Cluster did not reach cluster_state:ok within 20 s');
      await sleep(100);
    }
    return { ports, nodes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
