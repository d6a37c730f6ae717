// --baseline: the baseline's runs and the working tree's, taken in turns at
// the same rates in one bench run, compared rate by rate. The ratio of CPU
// per message is the figure to quote: both sides met the same machine at
// nearly the same moments, which absolute figures from two runs never do.
import { table, type ReportedRun, type Side } from './report.js';

export interface SideFigures {
  /** All instances together, % of one core over the measured window, each run in order. */
  instancesCpuPercent: number[];
  /** The instances' CPU-seconds / the messages acked in the measured window, in µs, each run. */
  cpuMicrosPerMessage: (number | null)[];
  /** The same with Postgres's and Redis's CPU added: all the service's processes, each run. */
  serviceMicrosPerMessage: (number | null)[];
  /**
   * Each run: acks kept pace with the schedule, within 5 % of the window's
   * messages acked in it. A run that fell behind spent its window partly on
   * a backlog, and one that acked more caught up on the warm-up's: either way
   * its CPU per message compares badly with a run that did neither.
   */
  keptUp: boolean[];
  deliveryP50Ms: (number | null)[];
  deliveryP99Ms: (number | null)[];
  /** Missing deliveries + duplicates + error acks, each run (0 is the only good value). */
  lostDupErrors: number[];
}

export interface RateComparison {
  rate: number;
  base: SideFigures;
  new: SideFigures;
  /** Per pair (base run i, then new run i): new's CPU per message / base's; 1.10 is 10 % more. */
  cpuPerMessageRatios: (number | null)[];
  /**
   * The median of those, over the pairs where both runs kept up (over all
   * pairs when none did: then `ratioFromKeptUpPairs` is false). A pair
   * shares its moment on the machine, so drift cancels within it, and the
   * median leaves out a pair that met a burst of other work.
   */
  cpuPerMessageRatio: number | null;
  ratioFromKeptUpPairs: boolean;
  /** The median ratio of service CPU per message (instances, Postgres, Redis), over the same pairs. */
  servicePerMessageRatio: number | null;
}

/** Acked within this share of the window's messages (both ways) counts as keeping up. */
const KEPT_UP = 0.05;

type Processes = (cpu: ReportedRun['cpuPercentOfCore']) => number;
const instances: Processes = (cpu) => cpu.instances;
const service: Processes = (cpu) => cpu.instances + cpu.postgres + cpu.redis;
const microsPerMessage = (r: ReportedRun, of = instances) =>
  r.messages.ackedInWindow > 0
    ? Math.round((of(r.cpuPercentOfCore) * r.cpuPercentOfCore.seconds * 1e4) / r.messages.ackedInWindow)
    : null;
const keptUp = (r: ReportedRun) =>
  Math.abs(r.messages.ackedInWindow - r.messages.measured) <= KEPT_UP * r.messages.measured;

function figures(runs: ReportedRun[]): SideFigures {
  return {
    instancesCpuPercent: runs.map((r) => r.cpuPercentOfCore.instances),
    cpuMicrosPerMessage: runs.map((r) => microsPerMessage(r)),
    serviceMicrosPerMessage: runs.map((r) => microsPerMessage(r, service)),
    keptUp: runs.map(keptUp),
    deliveryP50Ms: runs.map((r) => r.latencyMs.delivery.p50),
    deliveryP99Ms: runs.map((r) => r.latencyMs.delivery.p99),
    lostDupErrors: runs.map(
      (r) => r.correctness.missing + r.correctness.duplicates + r.correctness.errorAcks,
    ),
  };
}

function median(values: number[]): number | null {
  if (!values.length) {
    return null;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const twoDigits = (v: number) => Math.round(v * 100) / 100;

/** One comparison per rate that has runs on both sides, in rate order. */
export function compareSides(runs: ReportedRun[]): RateComparison[] {
  const rates = [...new Set(runs.map((r) => r.offeredRate))].sort((a, b) => a - b);
  return rates.flatMap((rate) => {
    const at = (side: Side) => runs.filter((r) => r.offeredRate === rate && r.side === side);
    const [base, next] = [at('base'), at('new')];
    if (!base.length || !next.length) {
      return [];
    }
    const pairs = base.flatMap((b) => next.filter((n) => n.run === b.run).map((n) => ({ b, n })));
    const ratiosOf = (of: Processes) =>
      pairs.map(({ b, n }) => {
        const [mb, mn] = [microsPerMessage(b, of), microsPerMessage(n, of)];
        return mb && mn ? twoDigits(mn / mb) : null;
      });
    const ratios = ratiosOf(instances);
    const steadyPairs = pairs.map(({ b, n }) => keptUp(b) && keptUp(n));
    const anySteady = steadyPairs.some((steady, i) => steady && ratios[i] !== null);
    const medianOf = (values: (number | null)[]) => {
      const m = median(values.filter((v, i): v is number => v !== null && (!anySteady || steadyPairs[i])));
      return m === null ? null : twoDigits(m);
    };
    return [
      {
        rate,
        base: figures(base),
        new: figures(next),
        cpuPerMessageRatios: ratios,
        cpuPerMessageRatio: medianOf(ratios),
        ratioFromKeptUpPairs: anySteady,
        servicePerMessageRatio: medianOf(ratiosOf(service)),
      },
    ];
  });
}

export function sideBySideTable(comparisons: RateComparison[], labels: Record<Side, string>): string {
  const rows = comparisons.flatMap((c) =>
    (['base', 'new'] as const).map((side) => {
      const f = c[side];
      const ratios = side === 'new';
      return [
        c.rate,
        labels[side],
        f.instancesCpuPercent.join(', '),
        f.cpuMicrosPerMessage.map((v, i) => `${v ?? '-'}${f.keptUp[i] ? '' : '*'}`).join(', '),
        ratios ? c.cpuPerMessageRatios.map((v) => (v === null ? '-' : v.toFixed(2))).join(', ') : '',
        ratios && c.cpuPerMessageRatio !== null
          ? `${c.cpuPerMessageRatio.toFixed(2)}${c.ratioFromKeptUpPairs ? '' : '*'}`
          : '',
        f.serviceMicrosPerMessage.map((v) => v ?? '-').join(', '),
        ratios && c.servicePerMessageRatio !== null ? c.servicePerMessageRatio.toFixed(2) : '',
        f.deliveryP50Ms.map((p50, i) => `${p50 ?? '-'}/${f.deliveryP99Ms[i] ?? '-'}`).join(', '),
        f.lostDupErrors.join(', '),
      ];
    }),
  );
  const marked = comparisons.some((c) => [...c.base.keptUp, ...c.new.keptUp].some((kept) => !kept));
  return [
    "Side by side (runs alternated base, new, base, new … at each rate; instances' CPU over the measured window; " +
      'CPU per message = their CPU-seconds / messages acked in the window; new/base per pair of runs, and its median; ' +
      '"service" adds Postgres and Redis to the instances)',
    table(
      [
        'offered/s',
        'build',
        'inst cpu% (each run)',
        'cpu µs/msg (each run)',
        'new/base (each pair)',
        'new/base',
        'service µs/msg (each run)',
        'new/base',
        'delivery p50/p99 ms (each run)',
        'lost+dup+errors',
      ],
      rows,
    ),
    ...(marked
      ? [
          `* acked more or less than the window's messages ± ${KEPT_UP * 100} % (behind schedule, or catching up): ` +
            'that CPU per message does not compare, and the median leaves out its pair (a starred median had no other)',
        ]
      : []),
  ].join('\n');
}
