import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import {
  startCluster,
  type Cluster,
  type ClusterInstance,
  type ClusterOptions,
} from '../../scripts/cluster.js';
import { startRedisCluster, type LocalRedisCluster } from '../../scripts/redis-cluster.js';
import type { ChangesResponse, MessageResponse } from '../../src/messages/message.response.js';
import { changes, history } from '../factories/rooms.js';
import type { TestUser } from '../factories/users.js';

/** What every instance of a cluster suite starts with; `extra` overrides it. */
export function clusterEnv(extra: Record<string, string> = {}): Record<string, string> {
  const databaseUrl = process.env.TEST_CLUSTER_DATABASE_URL;
  if (!databaseUrl) {
    throw new Error('TEST_CLUSTER_DATABASE_URL is not set: run with -c jest.cluster.config.js');
  }
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    AUTH_SECRET: 'cluster-test-secret-that-is-at-least-32-characters',
    CORS_ORIGINS: '*',
    LOG_LEVEL: 'warn',
    // The suites sign up many users and rooms from one address.
    ROOM_LIMIT_PER_MINUTE: '0',
    SIGNUP_LIMIT_PER_MINUTE: '0',
    ...extra,
  };
}

/** A three-master Redis Cluster, and `instances` instances on it behind nginx. */
export async function startOnRedisCluster(
  instances: number,
  log: NonNullable<ClusterOptions['log']>,
): Promise<{ redis: LocalRedisCluster; cluster: Cluster }> {
  const redis = await startRedisCluster(3);
  const cluster = await startCluster({
    instances,
    port: 0,
    basePort: 0,
    env: clusterEnv({ REDIS_URL: redis.url, SHUTDOWN_TIMEOUT_MS: '3000' }),
    log,
  });
  return { redis, cluster };
}

/**
 * Collects the cluster's log lines (instances and nginx) instead of printing
 * them, so a failing test can show what the processes said.
 */
export class ProcessLog {
  private readonly lines: string[] = [];

  constructor(private readonly max = 400) {}

  readonly push: NonNullable<ClusterOptions['log']> = (line) => {
    this.lines.push(line);
    if (this.lines.length > this.max) {
      this.lines.shift();
    }
  };

  tail(count = 80): string {
    return this.lines.slice(-count).join('\n');
  }
}

/** `127.0.0.1:3101` (or nginx's `a, b` after a retry: the last one served) to the instance on that port. */
export function instanceAt(cluster: Cluster, upstreamAddr: string | undefined): ClusterInstance {
  const last = (upstreamAddr ?? '').split(',').at(-1)!.trim();
  const port = Number(last.split(':').at(-1));
  const instance = cluster.instances.find((i) => i.port === port);
  if (!instance) {
    throw new Error(`no instance behind upstream address "${upstreamAddr}"`);
  }
  return instance;
}

/**
 * Which instance nginx sends Socket.IO traffic with this affinity key to:
 * an Engine.IO polling handshake with the key, read from X-Upstream-Addr.
 * The session it opened is closed again at once.
 */
export async function instanceForAffinity(cluster: Cluster, key: string): Promise<ClusterInstance> {
  const handshake = await request(cluster.lbUrl)
    .get('/socket.io/')
    .query({ EIO: '4', transport: 'polling', affinity: key })
    .expect(200);
  const instance = instanceAt(cluster, handshake.headers['x-upstream-addr']);
  const { sid } = JSON.parse(handshake.text.slice(1)) as { sid: string };
  await request(cluster.lbUrl)
    .post('/socket.io/')
    .query({ EIO: '4', transport: 'polling', sid, affinity: key })
    .set('Content-Type', 'text/plain;charset=UTF-8')
    .send('1') // Engine.IO "close" packet
    .expect(200);
  return instance;
}

/**
 * One affinity key per instance, in instance order: keys[i] makes nginx send a
 * socket to cluster.instances[i]. The hash depends on the upstream addresses
 * (random ports), so keys are found by trying.
 */
export async function affinityKeysPerInstance(cluster: Cluster): Promise<string[]> {
  const keys = new Map<string, string>();
  const prefix = randomUUID().slice(0, 8);
  for (let n = 0; n < 300 && keys.size < cluster.instances.length; n++) {
    const key = `${prefix}-${n}`;
    const { name } = await instanceForAffinity(cluster, key);
    if (!keys.has(name)) {
      keys.set(name, key);
    }
  }
  if (keys.size < cluster.instances.length) {
    throw new Error(`affinity keys reached only ${[...keys.keys()].join(', ')}`);
  }
  return cluster.instances.map((i) => keys.get(i.name)!);
}

export interface AccessLogEntry {
  request: string;
  status: number;
  /** The instance that answered. */
  instance: string;
}

/**
 * nginx's access log (format `chat` in deploy/nginx.conf), limited to the
 * Socket.IO requests made with one affinity key: which instance actually
 * served that client. A WebSocket is logged when it closes.
 */
export async function socketRequestsWithAffinity(cluster: Cluster, key: string): Promise<AccessLogEntry[]> {
  const log = await readFile(path.join(cluster.prefix, 'access.log'), 'utf8').catch(() => '');
  const entries: AccessLogEntry[] = [];
  for (const line of log.split('\n')) {
    const match = /"(\S+ \/socket\.io\/\S*) HTTP\/[\d.]+" (\d+) .* up=(.*?) us=.* aff="([^"]*)"$/.exec(line);
    if (match && match[4] === key) {
      entries.push({
        request: match[1],
        status: Number(match[2]),
        instance: instanceAt(cluster, match[3]).name,
      });
    }
  }
  return entries;
}

const PAGE = 200;

/**
 * A room's history from `first` on, oldest first, read forward the way a
 * client catches up: `?after=` the newest message seen, page after page.
 */
export async function historyForward(
  url: string,
  user: TestUser,
  roomId: string,
  first: MessageResponse,
): Promise<MessageResponse[]> {
  const all = [first];
  for (;;) {
    const page = await history(url, user, roomId, `?limit=${PAGE}&after=${all.at(-1)!.messageId}`);
    all.push(...page);
    if (page.length < PAGE) {
      return all;
    }
  }
}

/**
 * A room's whole history, oldest first, read the way a client scrolls up:
 * the newest page, then `?before=` the oldest message seen.
 */
export async function historyBackward(
  url: string,
  user: TestUser,
  roomId: string,
): Promise<MessageResponse[]> {
  let all = await history(url, user, roomId, `?limit=${PAGE}`);
  let last = all;
  while (last.length === PAGE) {
    last = await history(url, user, roomId, `?limit=${PAGE}&before=${all[0].messageId}`);
    all = [...last, ...all];
  }
  return all;
}

/**
 * Everything that changed in a room, read the way a client catches up:
 * `?since=` the highest `rev` seen, page after page; the last page's room `rev`.
 */
export async function changesSince(url: string, user: TestUser, roomId: string): Promise<ChangesResponse> {
  const all: MessageResponse[] = [];
  for (;;) {
    const page = await changes(url, user, roomId, `?limit=${PAGE}&since=${all.at(-1)?.rev ?? 0}`);
    all.push(...page.changes);
    if (page.changes.length < PAGE) {
      return { changes: all, rev: page.rev };
    }
  }
}
