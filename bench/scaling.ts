// Issue 14's scaling measurement: the same load on N instances, once with
// the classic Socket.IO Redis adapter and once with sharded pub/sub, side by
// side from one run. Per instance: messages published to Redis, broadcasts
// received from Redis, packets delivered to its own sockets
// (chat_redis_publishes_total, chat_redis_broadcasts_received_total and
// chat_socket_deliveries_total on /metrics), and its CPU per delivered packet (/proc, over the whole load: warm-up, measured, drain).
import { cpuSnapshot } from './cpu.js';
import { table } from './report.js';
import { backplaneCounters } from '../scripts/metrics-text.js';

export type PubSubMode = 'classic' | 'sharded';

export interface InstanceFigures {
  published: number;
  received: number;
  delivered: number;
  cpuSeconds: number;
}

export interface ScalingRun {
  mode: PubSubMode;
  instances: number;
  rate: number;
  perInstance: InstanceFigures[];
  missing: number;
  duplicates: number;
}

async function counters(url: string): Promise<ReturnType<typeof backplaneCounters>> {
  const response = await fetch(`${url}/metrics`);
  if (!response.ok) {
    throw new Error(`${url}/metrics answered ${response.status}`);
  }
  return backplaneCounters(await response.text());
}

/** Runs `load` and answers each instance's figures over it. */
export async function measureInstances(
  urls: string[],
  pids: number[],
  load: () => Promise<void>,
): Promise<InstanceFigures[]> {
  const groups = Object.fromEntries(pids.map((pid, i) => [`app${i}`, () => [pid]]));
  const countersBefore = await Promise.all(urls.map(counters));
  const cpuBefore = cpuSnapshot(groups);
  await load();
  const cpuAfter = cpuSnapshot(groups);
  const countersAfter = await Promise.all(urls.map(counters));
  return urls.map((_, i) => {
    const pid = String(pids[i]);
    const name = `app${i}`;
    return {
      published: countersAfter[i].redisPublishes - countersBefore[i].redisPublishes,
      received: countersAfter[i].redisBroadcastsReceived - countersBefore[i].redisBroadcastsReceived,
      delivered: countersAfter[i].socketDeliveries - countersBefore[i].socketDeliveries,
      cpuSeconds: (cpuAfter.groups[name][pid] ?? 0) - (cpuBefore.groups[name][pid] ?? 0),
    };
  });
}

const ratio = (a: number, b: number) => (b === 0 ? '–' : (a / b).toFixed(2));
const microseconds = (f: InstanceFigures) =>
  f.delivered === 0 ? '–' : ((f.cpuSeconds * 1e6) / f.delivered).toFixed(0);

/** One row per instance, classic and sharded side by side. */
export function scalingTable(runs: ScalingRun[]): string {
  const rows: (string | number)[][] = [];
  const byKey = new Map(runs.map((r) => [`${r.mode}/${r.instances}`, r]));
  const sizes = [...new Set(runs.map((r) => r.instances))].sort((a, b) => a - b);
  for (const n of sizes) {
    const classic = byKey.get(`classic/${n}`);
    const sharded = byKey.get(`sharded/${n}`);
    for (let i = 0; i < n; i++) {
      const c = classic?.perInstance[i];
      const s = sharded?.perInstance[i];
      rows.push([
        n,
        `app${i + 1}`,
        ...[c, s].flatMap((f) =>
          f
            ? [f.published, f.received, f.delivered, ratio(f.received, f.delivered), microseconds(f)]
            : ['–', '–', '–', '–', '–'],
        ),
      ]);
    }
    const total = (r: ScalingRun | undefined) =>
      r
        ? r.perInstance.reduce(
            (t, f) => ({
              published: t.published + f.published,
              received: t.received + f.received,
              delivered: t.delivered + f.delivered,
              cpuSeconds: t.cpuSeconds + f.cpuSeconds,
            }),
            { published: 0, received: 0, delivered: 0, cpuSeconds: 0 },
          )
        : undefined;
    const [c, s] = [total(classic), total(sharded)];
    rows.push([
      n,
      'all',
      ...[c, s].flatMap((f) =>
        f
          ? [f.published, f.received, f.delivered, ratio(f.received, f.delivered), microseconds(f)]
          : ['–', '–', '–', '–', '–'],
      ),
    ]);
  }
  const side = (mode: string) => [
    `${mode}: published to Redis`,
    `${mode}: received from Redis`,
    `${mode}: delivered to sockets`,
    `${mode}: received / delivered`,
    `${mode}: CPU µs per delivery`,
  ];
  return table(['instances', 'instance', ...side('classic'), ...side('sharded')], rows);
}
