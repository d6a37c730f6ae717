// Issue 14's scaling measurement: the same load on N instances, once with
// the classic Socket.IO Redis adapter and once with sharded pub/sub, side by
// side from one run. Per instance: messages published to Redis, broadcasts
// received from Redis, packets delivered to its own sockets
// (chat_redis_publishes_total, chat_redis_broadcasts_received_total and
// chat_socket_deliveries_total on /metrics), and its CPU per delivered packet
// (/proc), in the measured window: the steady state. Over the whole load,
// which includes a fresh process's JIT warm-up, the CPU is kept beside it.
import { cpuSnapshot, groupSeconds } from './cpu.js';
import type { ControlRun } from './control-load.js';
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
  warmupS: number;
  /** In the measured window. */
  perInstance: InstanceFigures[];
  /** From the first message of the warm-up to the end of the drain. */
  wholeLoad: InstanceFigures[];
  /** Cores busy in the measured window: in all, and with anything but the instances (Postgres, Redis, the generator, the kernel). */
  busyCores: number;
  backgroundCores: number;
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

interface Snapshot {
  counters: Promise<ReturnType<typeof backplaneCounters>[]>;
  cpu: ReturnType<typeof cpuSnapshot>;
}

/** The measured window's edges, for runLoad. */
export interface Window {
  open(): void;
  close(): void;
}

/**
 * Runs `load` and answers each instance's figures over its measured window
 * and over the whole load. The window's snapshots are taken as it opens and
 * closes (the counters' requests leave then, and are read afterwards).
 */
export async function measureInstances(
  urls: string[],
  pids: number[],
  load: (window: Window) => Promise<void>,
): Promise<{ window: InstanceFigures[]; wholeLoad: InstanceFigures[] }> {
  const groups = Object.fromEntries(pids.map((pid, i) => [`app${i}`, () => [pid]]));
  const snapshot = (): Snapshot => {
    const scraped = Promise.all(urls.map(counters));
    // Read once the load is over; a failure is thrown then, not left unhandled meanwhile.
    scraped.catch(() => undefined);
    return { counters: scraped, cpu: cpuSnapshot(groups) };
  };
  const before = snapshot();
  let open: Snapshot | undefined;
  let close: Snapshot | undefined;
  await load({ open: () => (open = snapshot()), close: () => (close = snapshot()) });
  const after = snapshot();
  if (!open || !close) {
    throw new Error('the load never opened or closed its measured window');
  }
  const between = async (a: Snapshot, b: Snapshot): Promise<InstanceFigures[]> => {
    const [ca, cb] = await Promise.all([a.counters, b.counters]);
    return urls.map((_, i) => ({
      published: cb[i].redisPublishes - ca[i].redisPublishes,
      received: cb[i].redisBroadcastsReceived - ca[i].redisBroadcastsReceived,
      delivered: cb[i].socketDeliveries - ca[i].socketDeliveries,
      cpuSeconds: groupSeconds(a.cpu, b.cpu, `app${i}`),
    }));
  };
  return { window: await between(open, close), wholeLoad: await between(before, after) };
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

/** CPU µs per delivery over all of a run's instances (null without deliveries), in the measured window by default. */
export function cpuPerDelivery(run: ScalingRun, figures = run.perInstance): number | null {
  const delivered = figures.reduce((t, f) => t + f.delivered, 0);
  const cpu = figures.reduce((t, f) => t + f.cpuSeconds, 0);
  return delivered === 0 ? null : (cpu * 1e6) / delivered;
}

/**
 * Per size: CPU per delivery (all instances together) for each mode, the
 * sharded one over the whole load too, the control's CPU per event, each
 * relative to the smallest size, and the sharded ratio divided by the
 * control's (1.00: the service adds nothing to what the machine does to any
 * process as it shares its cores with more).
 */
export function scalingSummary(runs: ScalingRun[], controls: ControlRun[]): string {
  const sizes = [...new Set(runs.map((r) => r.instances))].sort((a, b) => a - b);
  const at = (n: number) => {
    const classic = runs.find((r) => r.mode === 'classic' && r.instances === n);
    const sharded = runs.find((r) => r.mode === 'sharded' && r.instances === n);
    const control = controls.find((c) => c.processes === n);
    return {
      warmupS: sharded?.warmupS ?? classic?.warmupS ?? null,
      busyCores: sharded?.busyCores ?? null,
      classic: classic ? cpuPerDelivery(classic) : null,
      sharded: sharded ? cpuPerDelivery(sharded) : null,
      shardedWhole: sharded ? cpuPerDelivery(sharded, sharded.wholeLoad) : null,
      control: control && control.events > 0 ? (control.cpuSeconds * 1e6) / control.events : null,
    };
  };
  const first = at(sizes[0]);
  const relative = (v: number | null, base: number | null) =>
    v === null || base === null || base === 0 ? null : v / base;
  const fixed = (v: number | null, digits: number) => (v === null ? '–' : v.toFixed(digits));
  const rows = sizes.map((n) => {
    const here = at(n);
    const sharded = relative(here.sharded, first.sharded);
    const control = relative(here.control, first.control);
    return [
      n,
      here.warmupS === null ? '–' : `${here.warmupS}s`,
      fixed(here.busyCores, 2),
      fixed(here.classic, 0),
      fixed(here.sharded, 0),
      fixed(here.shardedWhole, 0),
      fixed(here.control, 0),
      fixed(relative(here.classic, first.classic), 2),
      fixed(sharded, 2),
      fixed(relative(here.shardedWhole, first.shardedWhole), 2),
      fixed(control, 2),
      fixed(relative(sharded, control), 2),
    ];
  });
  const vs = `vs ${sizes[0]}`;
  return table(
    [
      'instances',
      'warm-up',
      'sharded: machine busy, cores',
      'classic: µs per delivery',
      'sharded: µs per delivery',
      'sharded, whole load',
      'control: µs per event',
      `classic ${vs}`,
      `sharded ${vs}`,
      `sharded, whole load ${vs}`,
      `control ${vs}`,
      'sharded ÷ control',
    ],
    rows,
  );
}
