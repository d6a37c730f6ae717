// Memory mode: resident memory of each instance with 0, 400 and 4,000 idle
// connected clients, and the bytes per connection that implies.
import { rssBytes } from './cpu.js';
import { createUsers, connectUsers, disconnectUsers } from './clients.js';
import type { Instances } from './instances.js';

export interface MemoryPoint {
  /** Connected clients in total, and per instance. */
  clients: number;
  perInstanceClients: number[];
  /** VmRSS per instance, bytes. */
  rss: number[];
}

export interface MemoryResult {
  points: (MemoryPoint & { rssTotal: number })[];
  bytesPerConnection: number;
  bytesPerConnectionPerInstance: number[];
  /** The client counts bytesPerConnection is measured between. */
  between: [number, number];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Median VmRSS per pid over a few samples, after a settle period (GC, lazy
 * allocations). A pid whose RSS cannot be read (it exited) counts as 0.
 */
async function settledRss(pids: number[], settleMs: number): Promise<number[]> {
  await sleep(settleMs);
  const samples = pids.map((): number[] => []);
  for (let k = 0; k < 5; k++) {
    pids.forEach((pid, i) => samples[i].push(rssBytes(pid) ?? 0));
    await sleep(200);
  }
  return samples.map((v) => v.sort((a, b) => a - b)[2]);
}

export async function measureMemory(
  inst: Pick<Instances, 'urls' | 'pids'>,
  {
    steps = [400, 4000],
    settleMs = 3000,
    batch = 200,
    log = () => {},
  }: { steps?: number[]; settleMs?: number; batch?: number; log?: (m: string) => void },
): Promise<MemoryResult> {
  const { urls, pids } = inst;
  const points: MemoryPoint[] = [];
  const perInstance = (n: number) =>
    urls.map((_, i) => Math.floor(n / urls.length) + (i < n % urls.length ? 1 : 0));

  log(`memory: baseline (0 clients), settling ${settleMs} ms`);
  points.push({ clients: 0, perInstanceClients: perInstance(0), rss: await settledRss(pids, settleMs) });

  // Users are created up front so the HTTP work is not in the later measurement.
  const max = Math.max(...steps);
  log(`memory: creating ${max} users`);
  const users = await createUsers(urls, max);
  let connected = 0;
  try {
    for (const n of steps) {
      log(`memory: connecting clients ${connected + 1}..${n} (${batch} at a time)`);
      await connectUsers(users.slice(connected, n), { batch });
      connected = n;
      points.push({ clients: n, perInstanceClients: perInstance(n), rss: await settledRss(pids, settleMs) });
    }
  } finally {
    disconnectUsers(users);
  }

  // Bytes per connection between the two highest steps (the (rss4000 - rss400) / 3600),
  // summed over instances and per instance (each instance got half of the added clients).
  const [lo, hi] = points.slice(-2);
  const added = hi.clients - lo.clients;
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  return {
    points: points.map((p) => ({ ...p, rssTotal: sum(p.rss) })),
    bytesPerConnection: Math.round((sum(hi.rss) - sum(lo.rss)) / added),
    bytesPerConnectionPerInstance: hi.rss.map((r, i) =>
      Math.round((r - lo.rss[i]) / (hi.perInstanceClients[i] - lo.perInstanceClients[i])),
    ),
    between: [lo.clients, hi.clients],
  };
}
