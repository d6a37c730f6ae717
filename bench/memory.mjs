// Memory mode: resident memory of each instance with 0, 400 and 4,000 idle
// connected clients, and the bytes per connection that implies.
import { rssBytes } from './cpu.mjs';
import { createUsers, connectUsers, disconnectUsers } from './clients.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Median VmRSS per pid over a few samples, after a settle period (GC, lazy allocations). */
async function settledRss(pids, settleMs) {
  await sleep(settleMs);
  const samples = pids.map(() => []);
  for (let k = 0; k < 5; k++) {
    pids.forEach((pid, i) => samples[i].push(rssBytes(pid)));
    await sleep(200);
  }
  return samples.map((v) => v.sort((a, b) => a - b)[2]);
}

export async function measureMemory(inst, { steps = [400, 4000], settleMs = 3000, batch = 200, log = () => {} }) {
  const { urls, pids } = inst;
  const points = [];
  const perInstance = (n) => urls.map((_, i) => Math.floor(n / urls.length) + (i < n % urls.length ? 1 : 0));

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
  const sum = (a) => a.reduce((x, y) => x + y, 0);
  return {
    points: points.map((p) => ({ ...p, rssTotal: sum(p.rss) })),
    bytesPerConnection: Math.round((sum(hi.rss) - sum(lo.rss)) / added),
    bytesPerConnectionPerInstance: hi.rss.map((r, i) =>
      Math.round((r - lo.rss[i]) / (hi.perInstanceClients[i] - lo.perInstanceClients[i])),
    ),
    between: [lo.clients, hi.clients],
  };
}
