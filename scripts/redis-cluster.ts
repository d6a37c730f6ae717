/**
 * A local Redis Cluster of `masters` redis-server processes (no replicas),
 * for `npm run cluster -- --redis-cluster` and the cluster suites: each
 * node runs with `--cluster-enabled yes` in its own directory, then
 * `redis-cli --cluster create` assigns the slots. A node can be killed and
 * restarted on the same port and directory (its nodes.conf brings it back
 * into the cluster with its slots).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import calculateSlot from 'cluster-key-slot';
import { Cluster as ClusterClient, Redis } from 'ioredis';
import { findFreePort } from './cluster.js';

export interface RedisClusterNode {
  readonly port: number;
  readonly running: boolean;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

export interface LocalRedisCluster {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,…`: what REDIS_URL takes. */
  readonly url: string;
  readonly nodes: RedisClusterNode[];
  /** Resolves once every slot is served again (after a restart). */
  healthy(timeoutMs?: number): Promise<void>;
  /** The node whose slots hold this key or channel now (asked of a running node). */
  nodeServing(key: string): Promise<RedisClusterNode>;
  /** Reshards the slot of this key or channel to `to`, its keys included (what a resharding does slot by slot). */
  moveSlot(key: string, to: RedisClusterNode): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisCluster(masters = 3): Promise<LocalRedisCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chat-redis-cluster-'));
  const ports: number[] = [];
  while (ports.length < masters) {
    const port = await findFreePort();
    // The cluster bus listens on port + 10000: both must be free and below 65536.
    if (port + 10_000 < 65_536 && !ports.includes(port)) {
      ports.push(port);
    }
  }
  const nodes = ports.map((port) => node(port, path.join(dir, String(port))));
  const cluster: LocalRedisCluster = {
    url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    nodes,
    healthy: (timeoutMs = 20_000) => waitHealthy(ports, timeoutMs),
    nodeServing: async (key) => {
      const port = await masterPort(nodes.find((n) => n.running)!.port, calculateSlot(key));
      return nodes.find((n) => n.port === port)!;
    },
    moveSlot: async (key, to) => {
      const from = await cluster.nodeServing(key);
      if (from !== to) {
        await moveSlot(calculateSlot(key), from, to, nodes);
      }
    },
    stop: async () => {
      await Promise.all(nodes.map((n) => n.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(nodes.map((n) => n.restart()));
    const create = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8' },
    );
    if (create.status !== 0) {
      throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    }
    await cluster.healthy();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

function node(port: number, dir: string): RedisClusterNode {
  let child: ChildProcess | null = null;
  return {
    port,
    get running() {
      return child !== null && child.exitCode === null;
    },
    async restart() {
      spawnSync('mkdir', ['-p', dir]);
      child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          '2000',
          '--save',
          '',
          '--appendonly',
          'no',
        ],
        { stdio: 'ignore' },
      );
      await waitPing(port);
    },
    async kill() {
      const running = child;
      child = null;
      if (running && running.exitCode === null) {
        const exited = new Promise((resolve) => running.once('exit', resolve));
        running.kill('SIGKILL');
        await exited;
      }
    },
  };
}

async function waitPing(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG') {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer within ${timeoutMs} ms`);
}

/** The port of the master that serves `slot`, as the node on `askPort` sees the cluster. */
async function masterPort(askPort: number, slot: number): Promise<number> {
  const client = new Redis({ port: askPort, host: '127.0.0.1', lazyConnect: true });
  try {
    await client.connect();
    // Each entry: [first slot, last slot, [host, port, id] of the master, …replicas].
    const ranges = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const range = ranges.find(([first, last]) => first <= slot && slot <= last);
    if (!range) {
      throw new Error(`no node serves slot ${slot}`);
    }
    return Number(range[2][1]);
  } finally {
    client.disconnect();
  }
}

/** Redis's own resharding steps for one slot: mark it, migrate its keys, hand it over on every master. */
async function moveSlot(
  slot: number,
  from: RedisClusterNode,
  to: RedisClusterNode,
  nodes: RedisClusterNode[],
): Promise<void> {
  const clients = new Map(nodes.map((n) => [n, new Redis({ port: n.port, host: '127.0.0.1' })]));
  const [source, target] = [clients.get(from)!, clients.get(to)!];
  try {
    const [fromId, toId] = (await Promise.all(
      [source, target].map((c) => c.call('CLUSTER', 'MYID')),
    )) as string[];
    await target.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId);
    await source.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId);
    for (;;) {
      const keys = (await source.call('CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[];
      if (keys.length === 0) {
        break;
      }
      await source.call('MIGRATE', '127.0.0.1', to.port, '', 0, 5_000, 'KEYS', ...keys);
    }
    for (const client of new Set([target, source, ...clients.values()])) {
      await client.call('CLUSTER', 'SETSLOT', slot, 'NODE', toId);
    }
  } finally {
    clients.forEach((c) => c.disconnect());
  }
}

/** Every node says cluster_state:ok, and a client can write to a key on each. */
async function waitHealthy(ports: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = ports.every((port) =>
      spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' }).stdout.includes(
        'cluster_state:ok',
      ),
    );
    if (ok) {
      const client = new ClusterClient(ports.map((port) => ({ host: '127.0.0.1', port })));
      try {
        await client.set('{healthy}:probe', '1');
        return;
      } catch {
        // not every slot is served yet
      } finally {
        client.disconnect();
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the Redis Cluster on ${ports.join(', ')} was not healthy within ${timeoutMs} ms`);
}
