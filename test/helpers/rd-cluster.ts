import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedisServer, type RedisServer } from './redis.js';

export interface RedisClusterServers {
  ports: number[];
  nodes: RedisServer[];
  /** stops every node by its PID */
  stop(): Promise<void>;
}

function redisCli(args: string[], timeout = 30_000): string {
  const result = spawnSync('redis-cli', args, { encoding: 'utf8', timeout });
  if (result.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  return result.stdout;
}

export function hasRedisCli(): boolean {
  return spawnSync('redis-cli', [ '--version' ], { stdio: 'ignore' }).status === 0;
}

/**
 * A Redis Cluster of `masters` loopback redis-servers on free ports (no replicas), created with
 * `redis-cli --cluster create`; resolves once every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterServers> {
  const nodes: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(nodes.map(node => node.stop()));
  };
  try {
    for (let i = 0; i < masters; i++) {
      // a relative config file lands in the node's own --dir
      nodes.push(await startRedisServer([ '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf' ]));
    }
    redisCli([ '--cluster', 'create', ...nodes.map(node => `127.0.0.1:${node.port}`), '--cluster-yes' ]);
    const deadline = Date.now() + 20_000;
    for (const node of nodes) {
      while (!/cluster_state:ok/.test(redisCli([ '-h', '127.0.0.1', '-p', String(node.port), 'cluster', 'info' ]))) {
        if (Date.now() > deadline) throw new Error(`cluster node ${node.port} not ok within 20 s`);
        await sleep(100);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { ports: nodes.map(node => node.port), nodes, stop };
}
