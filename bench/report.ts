// Plain-text tables for people, JSON for machines.
import type { LoadResult } from './load-result.js';
import type { MemoryResult } from './memory.js';
import type { Summary } from './stats.js';

/** Which build a load run ran with --baseline: the baseline commit's or the working tree's. */
export type Side = 'base' | 'new';

/**
 * A load run as reported: the run's result, which of `of` runs at its rate
 * it was, and with --baseline which build ran it.
 */
export type ReportedRun = LoadResult & { run: number; of: number; side?: Side };

/** One rate's runs taken together; see rateVerdict. */
export interface RateVerdict {
  rate: number;
  pass: boolean;
  passed: number;
  runs: number;
  generatorLimited: boolean;
  latencyOnly: boolean;
}

export type Knee = { rate: null; note: string } | { rate: number; note: string; perRate: RateVerdict[] };

type Cell = string | number | null;

const fmt = (v: Cell) => (v === null ? '-' : String(v));

export function table(headers: string[], rows: Cell[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(fmt))];
  const w = headers.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((v, c) => (c === 0 ? v.padEnd(w[c]) : v.padStart(w[c]))).join('  ');
  return [line(cells[0]), w.map((n) => '-'.repeat(n)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const rateLabel = (r: ReportedRun) =>
  `${r.offeredRate}${r.of > 1 ? ` #${r.run}` : ''}${r.side ? ` ${r.side}` : ''}`;
const lat = (l: Summary) => `${fmt(l.p50)}/${fmt(l.p95)}/${fmt(l.p99)}/${fmt(l.max)}`;
const errs = (e: Record<string, number>) =>
  Object.entries(e)
    .map(([k, v]) => `${k}:${v}`)
    .join(' ') || '0';

export function loadTables(results: ReportedRun[]): string {
  const t1 = table(
    [
      'offered/s',
      'sent/s',
      'acked ok/s',
      'deliv/s',
      'exp deliv/s',
      'ack ms p50/p95/p99/max',
      'delivery ms p50/p95/p99/max',
      'deliv from send p50/p99',
      'verdict',
    ],
    results.map((r) => [
      rateLabel(r),
      r.throughput.sentPerSec,
      r.throughput.achievedMsgsPerSec,
      r.throughput.deliveriesPerSec,
      r.throughput.expectedDeliveriesPerSec,
      lat(r.latencyMs.ack),
      lat(r.latencyMs.delivery),
      `${fmt(r.latencyMs.deliveryFromSend.p50)}/${fmt(r.latencyMs.deliveryFromSend.p99)}`,
      verdict(r),
    ]),
  );
  const t2 = table(
    [
      'offered/s',
      'missing',
      'dup',
      'no ack',
      'error acks',
      'other faults',
      'cpu% gen',
      'inst',
      'pg',
      'redis',
      'other',
      'machine',
      'loop p99 ms',
      'send lag p99',
    ],
    results.map((r) => {
      const k = r.correctness;
      const faults =
        [
          k.misrouted && `misrouted:${k.misrouted}`,
          k.unknownMessages && `unknown:${k.unknownMessages}`,
          k.corruptPayloads && `corrupt:${k.corruptPayloads}`,
          k.badAcks && `badAck:${k.badAcks}`,
          k.rejectedButDelivered && `rejectedDelivered:${k.rejectedButDelivered}`,
          k.disconnects && `disconnects:${k.disconnects}`,
        ]
          .filter((fault) => typeof fault === 'string')
          .join(' ') || '0';
      const c = r.cpuPercentOfCore;
      return [
        rateLabel(r),
        k.missing,
        k.duplicates,
        k.noAck,
        errs(k.errorsByCode),
        faults,
        c.generator,
        c.instances,
        c.postgres,
        c.redis,
        c.other,
        `${c.machine}/${c.cores * 100}`,
        r.generator.loopDelayMs.p99,
        r.latencyMs.sendLag.p99,
      ];
    }),
  );
  const flags = results.filter((r) => r.flags.length).map((r) => `  ${rateLabel(r)}: ${r.flags.join('; ')}`);
  return [
    'Throughput and latency (ack and delivery latency from each message\'s scheduled send time; "from send" uses the actual send time)',
    t1,
    '',
    'Correctness and CPU (cpu in % of one core; "machine" is all cores busy / capacity)',
    t2,
    ...(flags.length ? ['', 'Flags:', ...flags] : []),
  ].join('\n');
}

const SHORT: Record<string, string> = {
  'error acks': 'errors',
  'delivery p99 >= 100 ms': 'p99',
  'wrong deliveries': 'wrong',
  'room_created missing': 'setup',
};

export function verdict(r: LoadResult): string {
  const gen = r.generator.limited ? ' (gen-limited)' : '';
  if (r.pass) {
    return `ok${gen}`;
  }
  return `FAIL: ${r.failReasons.map((x) => SHORT[x] ?? x).join(',')}${gen}`;
}

/**
 * A rate's runs taken together. Correctness must hold in every run; latency
 * in most of them, because one run on a shared VM can land on a bad moment.
 */
function rateVerdict(runs: LoadResult[]): RateVerdict {
  const correct = runs.every((r) => r.failReasons.every((x) => x.startsWith('delivery p99')));
  const passed = runs.filter((r) => r.pass).length;
  return {
    rate: runs[0].offeredRate,
    pass: correct && passed * 2 > runs.length,
    passed,
    runs: runs.length,
    generatorLimited: runs.some((r) => r.generator.limited),
    latencyOnly: correct,
  };
}

/** Highest passing rate; notes when a lower rate failed (non-monotonic) or the top rate passed. */
export function knee(results: LoadResult[]): Knee {
  const byRate = new Map<number, LoadResult[]>();
  for (const r of results) {
    byRate.set(r.offeredRate, [...(byRate.get(r.offeredRate) ?? []), r]);
  }
  const sorted = [...byRate.values()].map(rateVerdict).sort((a, b) => a.rate - b.rate);
  const passing = sorted.filter((r) => r.pass);
  if (!passing.length) {
    return { rate: null, note: 'no rate passed' };
  }
  const best = passing[passing.length - 1];
  const notes = [];
  if (best.runs > 1) {
    notes.push(`${best.passed} of ${best.runs} runs passed`);
  }
  if (best === sorted[sorted.length - 1]) {
    notes.push('highest rate tried passed: the knee is at or above it');
  }
  if (sorted.some((r) => !r.pass && r.rate < best.rate)) {
    notes.push('a lower rate failed (noisy or unstable)');
  }
  if (best.generatorLimited) {
    notes.push('the generator was limited at that rate');
  }
  const firstFail = sorted.find((r) => !r.pass && r.rate > best.rate);
  // Only a latency failure can be the generator's fault; lost or rejected messages are the server's.
  if (firstFail?.generatorLimited && firstFail.latencyOnly) {
    notes.push(
      `the next rate (${firstFail.rate}/s) failed only on latency while the generator was limited, so the server may do better`,
    );
  }
  return { rate: best.rate, note: notes.join('; '), perRate: sorted };
}

export function memoryTable(mem: MemoryResult): string {
  const mb = (b: number) => (b / 1048576).toFixed(1);
  const n = mem.points[0].rss.length;
  const t = table(
    [
      'clients (total)',
      ...Array.from({ length: n }, (_, i) => `inst ${i} clients`),
      ...Array.from({ length: n }, (_, i) => `inst ${i} RSS MiB`),
      'total RSS MiB',
    ],
    mem.points.map((p) => [p.clients, ...p.perInstanceClients, ...p.rss.map(mb), mb(p.rssTotal)]),
  );
  return [
    'Memory (VmRSS of each instance, idle websocket clients)',
    t,
    `bytes per connection between ${mem.between[0]} and ${mem.between[1]} clients: ${mem.bytesPerConnection} ` +
      `(per instance: ${mem.bytesPerConnectionPerInstance.join(', ')})`,
  ].join('\n');
}
