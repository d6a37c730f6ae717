// --baseline: the baseline's runs and the working tree's, taken in turns at
// the same rates in one bench run, compared rate by rate. The ratio of CPU
// per message is the figure to quote: both sides met the same machine at
// nearly the same moments, which absolute figures from two runs never do.
import { table, type ReportedRun, type Side } from './report.js';

export interface SideFigures {
  runs: number;
  /** All instances together, % of one core over the measured window, each run in order. */
  instancesCpuPercent: number[];
  /** The instances' CPU-seconds / the messages acked in the measured window, in µs, each run. */
  cpuMicrosPerMessage: (number | null)[];
  /**
   * Each run: acks kept pace with the schedule (at least 95 % of the window's
   * messages acked in it). A run that fell behind spent its window partly on
   * a backlog, so its CPU per message compares badly with one that did not.
   */
  keptUp: boolean[];
  /** The same over all the side's runs: CPU-seconds summed / messages acked summed. */
  cpuMicrosPerMessageAll: number | null;
  deliveryP50Ms: (number | null)[];
  deliveryP99Ms: (number | null)[];
  /** Missing deliveries + duplicates + error acks, each run (0 is the only good value). */
  lostDupErrors: number[];
}

export interface RateComparison {
  rate: number;
  base: SideFigures;
  new: SideFigures;
  /** new / base of cpuMicrosPerMessageAll: 1.10 is 10 % more instance CPU per message. */
  cpuPerMessageRatio: number | null;
}

const KEPT_UP = 0.95;

const cpuSeconds = (r: ReportedRun) => (r.cpuPercentOfCore.instances / 100) * r.cpuPercentOfCore.seconds;
const micros = (seconds: number, messages: number) =>
  messages > 0 ? Math.round((seconds * 1e6) / messages) : null;

function figures(runs: ReportedRun[]): SideFigures {
  const seconds = runs.reduce((t, r) => t + cpuSeconds(r), 0);
  const acked = runs.reduce((t, r) => t + r.messages.ackedInWindow, 0);
  return {
    runs: runs.length,
    instancesCpuPercent: runs.map((r) => r.cpuPercentOfCore.instances),
    cpuMicrosPerMessage: runs.map((r) => micros(cpuSeconds(r), r.messages.ackedInWindow)),
    keptUp: runs.map((r) => r.messages.ackedInWindow >= KEPT_UP * r.messages.measured),
    cpuMicrosPerMessageAll: micros(seconds, acked),
    deliveryP50Ms: runs.map((r) => r.latencyMs.delivery.p50),
    deliveryP99Ms: runs.map((r) => r.latencyMs.delivery.p99),
    lostDupErrors: runs.map(
      (r) => r.correctness.missing + r.correctness.duplicates + r.correctness.errorAcks,
    ),
  };
}

/** One comparison per rate that has runs on both sides, in rate order. */
export function compareSides(runs: ReportedRun[]): RateComparison[] {
  const rates = [...new Set(runs.map((r) => r.offeredRate))].sort((a, b) => a - b);
  return rates.flatMap((rate) => {
    const at = (side: Side) => runs.filter((r) => r.offeredRate === rate && r.side === side);
    const [base, next] = [at('base'), at('new')];
    if (!base.length || !next.length) {
      return [];
    }
    const b = figures(base);
    const n = figures(next);
    const ratio =
      b.cpuMicrosPerMessageAll && n.cpuMicrosPerMessageAll
        ? Math.round((n.cpuMicrosPerMessageAll / b.cpuMicrosPerMessageAll) * 100) / 100
        : null;
    return [{ rate, base: b, new: n, cpuPerMessageRatio: ratio }];
  });
}

const each = (values: (number | null)[]) => values.map((v) => (v === null ? '-' : String(v))).join(', ');

export function sideBySideTable(comparisons: RateComparison[], labels: Record<Side, string>): string {
  const rows = comparisons.flatMap((c) =>
    (['base', 'new'] as const).map((side) => {
      const f = c[side];
      return [
        c.rate,
        labels[side],
        each(f.instancesCpuPercent),
        f.cpuMicrosPerMessage.map((v, i) => `${v ?? '-'}${f.keptUp[i] ? '' : '*'}`).join(', '),
        f.cpuMicrosPerMessageAll,
        side === 'new' && c.cpuPerMessageRatio !== null ? c.cpuPerMessageRatio.toFixed(2) : '',
        f.deliveryP50Ms.map((p50, i) => `${p50 ?? '-'}/${f.deliveryP99Ms[i] ?? '-'}`).join(', '),
        each(f.lostDupErrors),
      ];
    }),
  );
  return [
    "Side by side (runs alternated base, new, base, new … at each rate; instances' CPU over the measured window; " +
      'CPU per message = their CPU-seconds / messages acked in the window)',
    table(
      [
        'offered/s',
        'build',
        'inst cpu% (each run)',
        'cpu µs/msg (each run)',
        'cpu µs/msg (all runs)',
        'new/base',
        'delivery p50/p99 ms (each run)',
        'lost+dup+errors',
      ],
      rows,
    ),
    ...(comparisons.some((c) => [...c.base.keptUp, ...c.new.keptUp].some((kept) => !kept))
      ? [
          `* acked less than ${KEPT_UP * 100} % of the window's messages in the window: behind schedule, ` +
            'so that CPU per message is not comparable',
        ]
      : []),
  ].join('\n');
}
