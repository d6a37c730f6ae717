// What one load run measured (its result) and how it is judged: whether it
// passed, and why its figures may be suspect (a starved generator, a saturated
// or noisy machine).
import type { Summary } from './stats.js';
import type { CpuUsage } from './cpu.js';

/** Whose CPU a run reports besides the generator's and the machine's. */
export type CpuGroup = 'instances' | 'postgres' | 'redis';

/** Messages sent, acked and delivered in one second of the run. */
export interface Second {
  sent: number;
  ackOk: number;
  delivered: number;
}

/** One run's result; report.ts prints part of it, the JSON output has all of it. */
export interface LoadResult {
  offeredRate: number;
  roomSize: number;
  users: number;
  /** Scheduled in all, in the warm-up and in the measured window; success acks that arrived in that window. */
  messages: { total: number; warmup: number; measured: number; ackedInWindow: number };
  throughput: {
    offeredPerSec: number;
    sentPerSec: number;
    achievedMsgsPerSec: number;
    deliveriesPerSec: number;
    expectedDeliveriesPerSec: number;
  };
  latencyMs: {
    ack: Summary;
    ackFromSend: Summary;
    delivery: Summary;
    deliveryFromSend: Summary;
    sendLag: Summary;
  };
  correctness: {
    expectedDeliveries: number;
    delivered: number;
    missing: number;
    missingMessages: number;
    duplicates: number;
    noAck: number;
    errorAcks: number;
    errorsByCode: Record<string, number>;
    rejectedButDelivered: number;
    unknownMessages: number;
    misrouted: number;
    corruptPayloads: number;
    badAcks: number;
    seqInversions: number;
    disconnects: number;
    sentWhileDisconnected: number;
  };
  drainMs: number;
  cpuPercentOfCore: CpuUsage<CpuGroup>;
  generator: { loopDelayMs: { p50: number; p99: number; max: number }; limited: boolean };
  /** Why the row is suspect (generator limited, machine saturated, noisy neighbours). */
  flags: string[];
  pass: boolean;
  failReasons: string[];
  timeline: Second[];
}

interface RunFigures {
  cpu: CpuUsage<CpuGroup>;
  loopDelay: { p50: number; p99: number; max: number };
  sendLag: Summary;
  deliveryP99: number | null;
  missing: number;
  duplicates: number;
  errorAcks: number;
  noAck: number;
  /** Deliveries of unknown messages, to the wrong room or with a wrong payload, and wrong acks. */
  misdelivered: number;
}

/** Why the run failed (none: it passed) and why its figures are suspect. */
export function judgeRun({
  cpu,
  loopDelay,
  sendLag,
  deliveryP99,
  missing,
  duplicates,
  errorAcks,
  noAck,
  misdelivered,
}: RunFigures): { flags: string[]; generatorLimited: boolean; failReasons: string[] } {
  const flags: string[] = [];
  const saturated = cpu.machine !== null && cpu.machine >= cpu.cores * 100 * 0.95;
  if (cpu.generator >= 90) {
    flags.push(`generator CPU-bound: ${cpu.generator}% of a core`);
  }
  if (loopDelay.p99 > 20 || (sendLag.p99 ?? 0) > 20) {
    // A busy machine and a mostly idle generator: the generator waits for a core
    // rather than being busy itself. Either way its timings are late.
    const busy = cpu.machine !== null && cpu.machine >= cpu.cores * 100 * 0.8;
    const why =
      cpu.generator < 90 && busy
        ? `generator starved of CPU (machine ${cpu.machine}% busy)`
        : 'generator behind';
    flags.push(`${why}: event-loop delay p99 ${loopDelay.p99} ms, send lag p99 ${sendLag.p99} ms`);
  }
  const generatorLimited = flags.length > 0;
  if (saturated) {
    flags.push(`machine CPU saturated (${cpu.machine}% of ${cpu.cores * 100}%)`);
  }
  if (cpu.other !== null && cpu.other > 15) {
    const top = cpu.topOther.map((p) => `${p.name}(${p.pid}) ${p.pct}%`).join(', ');
    flags.push(
      `noisy machine: ${cpu.other}% of a core used outside generator/instances/postgres/redis ` +
        `(kernel irq/softirq ${cpu.kernelIrq}%, named processes ${cpu.otherProcesses}%${top ? `; top: ${top}` : ''})`,
    );
  }

  const failReasons: string[] = [
    missing && 'missing',
    duplicates && 'duplicates',
    errorAcks && 'error acks',
    noAck && 'no ack',
    misdelivered && 'wrong deliveries',
    (deliveryP99 === null || deliveryP99 >= 100) && 'delivery p99 >= 100 ms',
  ].filter((reason) => typeof reason === 'string');
  return { flags, generatorLimited, failReasons };
}

/** Per message, its members that never got it; messages refused but delivered anyway; acks that never came. */
export function countOutcomes(
  sender: readonly { room: { members: readonly unknown[] } }[],
  /** Per message, a bit per member position that got it. */
  gotMask: Uint32Array,
  /** Per message: 0 no ack, 1 success, 2 error. */
  ackState: Uint8Array,
): { missing: number; missingMessages: number; noAck: number; rejectedButDelivered: number } {
  let missing = 0;
  let missingMessages = 0;
  let noAck = 0;
  let rejectedButDelivered = 0;
  for (let i = 0; i < sender.length; i++) {
    const n = sender[i].room.members.length;
    const got = popcount(gotMask[i]);
    if (ackState[i] === 0) {
      noAck++;
    }
    if (ackState[i] === 2) {
      if (got > 0) {
        rejectedButDelivered++;
      }
      continue;
    }
    if (got < n) {
      missing += n - got;
      missingMessages++;
    }
  }
  return { missing, missingMessages, noAck, rejectedButDelivered };
}

export function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
