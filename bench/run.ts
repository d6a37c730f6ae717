// Chat backend load benchmark. See bench/README.md.
//   tsx bench/run.ts [--rate 1000 | --sweep 250,500,1000,2000,4000,8000] [--duration 10]
//                    [--users 400] [--room-size 4] [--memory] [--json out.json] [--entry dist/main.js]
//                    [--baseline <git ref>] [--full]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cfg, repo } from './options.js';
import { startInstances, type Instances } from './instances.js';
import { createUsers, connectUsers, createRooms, disconnectUsers } from './clients.js';
import { runLoad } from './load.js';
import type { LoadResult } from './load-result.js';
import { measureMemory, type MemoryResult } from './memory.js';
import { measureRoomList, roomListTable, type RoomListResult } from './room-list.js';
import { pidsByComm, postgresPids } from './cpu.js';
import { loadTables, knee, memoryTable, type Knee, type ReportedRun, type Side } from './report.js';
import { calibrateControl, runControl, type ControlRun } from './control-load.js';
import {
  cpuPerDelivery,
  measureInstances,
  scalingSummary,
  scalingTable,
  type PubSubMode,
  type ScalingRun,
} from './scaling.js';
import { prepareBaseline, type BaselineBuild } from './baseline-build.js';
import { compareSides, sideBySideTable, type RateComparison } from './side-by-side.js';
import { measureStoreCeiling, storeCeilingTable, type StoreCeilingRun } from './store-ceiling.js';

const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Instances (and the store ceiling's databases) are ours: on Ctrl-C stop
// them and drop their databases before exiting. Ctrl-C reaches this process
// twice under `npx tsx` (from the terminal, and relayed by tsx's parent), so
// a repeat is ignored rather than left to the default action, which would
// exit before the clean-up.
const live = new Set<{ stop(): Promise<void> }>();
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) {
      return;
    }
    stopping = true;
    log(`${sig}: stopping instances`);
    void Promise.allSettled([...live].map((h) => h.stop())).then(() => process.exit(130));
  });
}

/** What the instances run: a dist/main.js, from the directory its build lives in. */
interface Build {
  entry: string;
  cwd: string;
}

const workingTree: Build = { entry: cfg.entry, cwd: repo };

async function withInstances<T>(
  fn: (inst: Instances) => Promise<T>,
  count = cfg.instances,
  build = workingTree,
): Promise<T> {
  const inst = await startInstances({
    entry: build.entry,
    count,
    cwd: build.cwd,
    rateLimit: cfg.rateLimit,
    redis: cfg.redis,
    databasePrefix: cfg.databasePrefix,
    log,
  });
  live.add(inst);
  try {
    return await fn(inst);
  } finally {
    await inst.stop();
    live.delete(inst);
  }
}

/** How long each setup step of a load run took. */
interface Setup {
  missingRoomCreated: number;
  usersMs: number;
  connectMs: number;
  roomsMs: number;
}

/** One offered rate on fresh instances of `build` and a fresh database. */
async function loadStep(rate: number, build = workingTree): Promise<LoadResult & { setup?: Setup }> {
  return withInstances(
    async (inst) => {
      const t = performance.now();
      const users = await createUsers(inst.urls, cfg.users);
      const tUsers = performance.now();
      try {
        const connected = await connectUsers(users, { batch: 200 });
        const tConn = performance.now();
        const { rooms, missingRoomCreated } = await createRooms(connected, cfg.roomSize);
        const tRooms = performance.now();
        log(
          `setup: ${users.length} users ${ms(tUsers - t)}, connected ${ms(tConn - tUsers)}, ` +
            `${users.length / cfg.roomSize} rooms ${ms(tRooms - tConn)}, missing room_created: ${missingRoomCreated}`,
        );
        const cpuGroups = {
          instances: () => inst.pids,
          postgres: () => postgresPids(inst.db),
          redis: () => (inst.redisPid ? [inst.redisPid] : pidsByComm(['redis-server'])),
        };
        // Every user is in a room: --users is a multiple of --room-size.
        const members = rooms.flatMap((room) => room.members);
        const r: LoadResult & { setup?: Setup } = await runLoad(members, { ...cfg, rate, cpuGroups, log });
        r.setup = {
          missingRoomCreated,
          usersMs: Math.round(tUsers - t),
          connectMs: Math.round(tConn - tUsers),
          roomsMs: Math.round(tRooms - tConn),
        };
        if (missingRoomCreated) {
          r.pass = false;
          r.failReasons.push('room_created missing');
          r.flags.push(`${missingRoomCreated} room_created events missing during setup`);
        }
        log(
          `${rate}/s: ${r.pass ? 'ok' : `FAIL (${r.failReasons.join(', ')})`}; delivery p99 ${r.latencyMs.delivery.p99} ms, missing ${r.correctness.missing}, ` +
            `dup ${r.correctness.duplicates}, error acks ${r.correctness.errorAcks}, drain ${r.drainMs} ms`,
        );
        return r;
      } finally {
        disconnectUsers(users);
      }
    },
    cfg.instances,
    build,
  );
}

const ms = (v: number) => `${Math.round(v)} ms`;

/** The total offered rate at a scaling size. */
const scalingRate = (count: number) =>
  cfg.scalingRatePerInstance ? cfg.scalingRatePerInstance * count : cfg.scalingRate;

/**
 * One scaling step: `count` instances with this pub/sub mode (the
 * instances inherit REDIS_PUBSUB from the bench's environment), the same
 * users, rooms and offered rate as every other step.
 */
async function scalingStep(mode: PubSubMode, count: number): Promise<ScalingRun> {
  process.env.REDIS_PUBSUB = mode;
  // Room r's members (consecutive users) alternate between instances r and
  // r + 1 mod N: each instance serves 2/N of the rooms, as when people who
  // talk together tend to share a region, and what it needs shrinks as N grows.
  const home = (i: number) => (Math.floor(i / cfg.roomSize) + (i % 2)) % count;
  const rate = scalingRate(count);
  // V8 optimises a function after so many calls, not so many seconds: at a
  // third of the load an instance takes three times as long to warm up, so
  // each size warms up for as many messages per instance as the smallest
  // (with --rate-per-instance each instance's load is the same already).
  const warmupS = cfg.scalingRatePerInstance
    ? cfg.warmupS
    : Math.round((cfg.warmupS * count) / Math.min(...cfg.instanceCounts));
  return withInstances(async (inst) => {
    const users = await createUsers(inst.urls, cfg.users, { home });
    try {
      const connected = await connectUsers(users, { batch: 200 });
      const { rooms } = await createRooms(connected, cfg.roomSize);
      const cpuGroups = {
        instances: () => inst.pids,
        postgres: () => postgresPids(inst.db),
        redis: () => (inst.redisPid ? [inst.redisPid] : pidsByComm(['redis-server'])),
      };
      const members = rooms.flatMap((room) => room.members);
      let result: LoadResult | undefined;
      const figures = await measureInstances(inst.urls, inst.pids, async (window) => {
        result = await runLoad(members, { ...cfg, rate, warmupS, cpuGroups, window, log });
      });
      const { correctness, cpuPercentOfCore: cpu } = result!;
      const { missing, duplicates } = correctness;
      log(`${mode}, ${count} instances: missing ${missing}, dup ${duplicates}`);
      const busyCores = (cpu.machine ?? cpu.instances + cpu.postgres + cpu.redis + cpu.generator) / 100;
      const backgroundCores = Math.max(busyCores - cpu.instances / 100, 0);
      return {
        mode,
        instances: count,
        rate,
        warmupS,
        perInstance: figures.window,
        wholeLoad: figures.wholeLoad,
        busyCores,
        backgroundCores,
        missing,
        duplicates,
      };
    } finally {
      disconnectUsers(users);
    }
  }, count);
}

const meta = {
  startedAt: new Date().toISOString(),
  entry: cfg.entry.startsWith(repo + path.sep) ? path.relative(repo, cfg.entry) : cfg.entry,
  instances: cfg.instances,
  users: cfg.users,
  roomSize: cfg.roomSize,
  rooms: cfg.users / cfg.roomSize,
  durationS: cfg.durationS,
  repeat: cfg.repeat,
  warmupS: cfg.warmupS,
  drainS: cfg.drainS,
  messageBytes: cfg.messageBytes,
  rateLimitOnInstances: cfg.rateLimit,
  redis:
    cfg.redis === 'private'
      ? 'private redis-server per run (isolated pub/sub)'
      : `shared ${process.env.REDIS_URL || 'redis://127.0.0.1:6379'}`,
  machine: {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    loadavgAtStart: os.loadavg().map((x) => +x.toFixed(2)),
    node: process.version,
  },
  senderSelection: 'random permutation of all users per cycle (random order, every user sends equally often)',
};

/** With --baseline: what it was built from and where, its own knee, and the comparison per rate. */
interface BaselineResult extends Omit<BaselineBuild, 'built'> {
  knee: Knee | null;
  comparison: RateComparison[];
}

const out: {
  meta: typeof meta;
  runs: (ReportedRun & { setup?: Setup })[];
  /** With --baseline, the working tree's knee (the baseline's is in `baseline`). */
  knee: Knee | null;
  baseline: BaselineResult | null;
  memory: MemoryResult | null;
  roomList: RoomListResult | null;
  scaling: ScalingRun[];
  /** With --scaling: the control (fixed work per event) at each size. */
  scalingControl: ControlRun[];
  storeCeiling: StoreCeilingRun[];
  error?: string;
} = {
  meta,
  runs: [],
  knee: null,
  baseline: null,
  memory: null,
  roomList: null,
  scaling: [],
  scalingControl: [],
  storeCeiling: [],
};
let failed = false;
try {
  log(
    `instances get RATE_LIMIT_PER_SECOND=RATE_LIMIT_BURST=${cfg.rateLimit} (throughput run, not the production limit)`,
  );
  // With a baseline, each run of the working tree follows one of the baseline
  // at the same rate, so drift on a shared machine hits both sides alike.
  const baseline = cfg.baseline === null ? null : prepareBaseline(repo, cfg.baseline, log);
  const sides: { side?: Side; build: Build }[] = baseline
    ? [
        { side: 'base', build: { entry: baseline.entry, cwd: baseline.dir } },
        { side: 'new', build: workingTree },
      ]
    : [{ build: workingTree }];
  for (const rate of cfg.rates) {
    for (let run = 1; run <= cfg.repeat; run++) {
      for (const { side, build } of sides) {
        if (side) {
          log(`${rate}/s run ${run} of ${cfg.repeat}: ${side}`);
        }
        out.runs.push({ ...(await loadStep(rate, build)), run, of: cfg.repeat, ...(side && { side }) });
        await sleep(1000); // let Postgres finish background work before the next step
      }
    }
  }
  if (out.runs.length) {
    out.knee = knee(out.runs.filter((r) => r.side !== 'base'));
  }
  if (baseline) {
    const { ref, commit, dir, entry } = baseline;
    const baseRuns = out.runs.filter((r) => r.side === 'base');
    out.baseline = { ref, commit, dir, entry, knee: knee(baseRuns), comparison: compareSides(out.runs) };
  }
  if (cfg.scaling) {
    // Alternating modes at each size, so drift on a shared machine hits both alike.
    let controlUnits: number | undefined;
    for (const count of [...cfg.instanceCounts].sort((a, b) => a - b)) {
      for (const mode of ['classic', 'sharded'] as const) {
        out.scaling.push(await scalingStep(mode, count));
        await sleep(1000);
      }
      // As many events as the chat's deliveries (every member of the room
      // gets the message), each costing what a delivery cost at the
      // smallest size, beside as much other load as the sharded run had.
      const rate = scalingRate(count) * cfg.roomSize;
      const sharded = out.scaling.at(-1)!;
      const background = sharded.backgroundCores;
      if (controlUnits === undefined) {
        const target = cpuPerDelivery(sharded);
        if (target === null) {
          throw new Error(`sharded, ${count} instances: no deliveries to size the control by`);
        }
        const fit = await calibrateControl(count, rate, background, target);
        const µs = (v: number) => `${Math.round(v)} µs`;
        log(
          `control: ${fit.units} units per event for ${µs(target)} (an event ${µs(fit.fixedMicros)} + ${µs(fit.perUnitMicros)} per unit)` +
            (fit.clamped ? ': clamped, even one unit costs more than the target' : ''),
        );
        controlUnits = fit.units;
      }
      const control = await runControl(count, rate, cfg.durationS, controlUnits, background);
      log(
        `control, ${count} processes: background ${background.toFixed(2)} cores asked, ${control.background.used.toFixed(2)} used`,
      );
      out.scalingControl.push(control);
      await sleep(1000);
    }
  }
  for (const instances of cfg.storeCeilingRates.length ? cfg.instanceCounts : []) {
    for (const rate of cfg.storeCeilingRates) {
      const { users, roomSize, messageBytes, warmupS, durationS, drainS, databasePrefix, dropForeignKeys } =
        cfg;
      const step = { instances, rate, users, roomSize, messageBytes, warmupS, durationS, drainS };
      out.storeCeiling.push(
        await measureStoreCeiling(repo, { ...step, databasePrefix, dropForeignKeys, live, log }),
      );
      await sleep(1000);
    }
  }
  if (cfg.memory) {
    out.memory = await withInstances((inst) => measureMemory(inst, { steps: cfg.memoryClients, log }));
  }
  if (cfg.roomList) {
    const [rooms, messagesPerRoom] = cfg.roomList;
    out.roomList = await withInstances((inst) => measureRoomList(inst, { rooms, messagesPerRoom, log }));
  }
} catch (e) {
  failed = true;
  const err = e instanceof Error ? e : undefined;
  log(`error: ${err?.stack || String(e)}`);
  out.error = String(err?.message || e);
}

// Human-readable part.
const lines = [
  '',
  `Chat benchmark: ${meta.instances} instances of ${meta.entry}, ${meta.machine.cpus} CPUs (${meta.machine.model}), Redis: ${meta.redis}`,
];
if (out.baseline) {
  lines.push(
    `Baseline ("base"): ${out.baseline.ref} = ${out.baseline.commit.slice(0, 12)}, built in ${out.baseline.dir}; ` +
      `"new": ${meta.entry}. Runs alternate base, new at each rate.`,
  );
}
if (cfg.rates.length) {
  lines.push(
    `Load: ${meta.users} users in ${meta.rooms} rooms of ${meta.roomSize} (members alternate between instances), ` +
      `${meta.messageBytes}-byte messages, ${meta.durationS}s measured after ${meta.warmupS}s warm-up, drain <= ${meta.drainS}s, fresh database per run` +
      (meta.repeat > 1 ? `, ${meta.repeat} runs per rate.` : '.'),
    `Instances ran with RATE_LIMIT_PER_SECOND=RATE_LIMIT_BURST=${meta.rateLimitOnInstances}: per-user rate limiting is lifted to measure throughput.`,
    `Senders: ${meta.senderSelection}.`,
  );
}
lines.push('');
if (out.runs.length) {
  lines.push(loadTables(out.runs), '');
}
if (out.baseline) {
  const labels = { base: `base ${out.baseline.commit.slice(0, 7)}`, new: 'new' };
  lines.push(sideBySideTable(out.baseline.comparison, labels), '');
}
const kneeRule =
  cfg.repeat > 1
    ? 'highest rate where every run delivered everything exactly once with no error acks, and most runs had delivery p99 < 100 ms'
    : 'highest rate with every delivery exactly once, no error acks, delivery p99 < 100 ms';
const kneeLine = (label: string, k: Knee) =>
  `${label} (${kneeRule}): ${k.rate ?? 'none'}${k.rate ? ' msg/s' : ''}${k.note ? ` (${k.note})` : ''}`;
if (out.knee) {
  lines.push(kneeLine(out.baseline ? 'Knee, new' : 'Knee', out.knee));
  if (out.baseline?.knee) {
    lines.push(kneeLine('Knee, base', out.baseline.knee));
  }
  lines.push('');
}
if (out.scaling.length) {
  lines.push(
    `Scaling: ${cfg.scalingRatePerInstance ? `${cfg.scalingRatePerInstance} msg/s offered per instance (N × that in total)` : `${cfg.scalingRate} msg/s offered in total`}, ${meta.users} users in rooms of ${meta.roomSize} ` +
      `(room r's members alternate between instances r and r+1 mod N), ${meta.durationS}s measured after a warm-up of ` +
      (cfg.scalingRatePerInstance
        ? `${meta.warmupS}s; `
        : `${meta.warmupS}s × N / ${Math.min(...cfg.instanceCounts)} (as many messages per instance at every size); `) +
      'counters and CPU in the measured window.',
    scalingTable(out.scaling),
    '',
    `CPU per delivery, all instances: in the measured window, and for sharded over the whole load too (warm-up and drain: a fresh ` +
      `process's JIT warm-up included). Beside it a control (bench/control-worker.ts): as many processes, as many events ` +
      `as deliveries, each a fixed amount of work sized to cost what a delivery cost at the smallest size ` +
      `(${out.scalingControl[0]?.units ?? '–'} JSON round trips), with the rest of the machine as busy as in the sharded run (everything but the instances). ` +
      `Its work cannot grow with N: what its ratio shows is the machine's.`,
    scalingSummary(out.scaling, out.scalingControl),
    '',
  );
}
if (out.storeCeiling.length) {
  lines.push(
    `${meta.users} users in rooms of ${meta.roomSize}, ${meta.messageBytes}-byte messages to random rooms from random members, ` +
      `${meta.durationS}s measured after ${meta.warmupS}s warm-up, fresh database per step.`,
    storeCeilingTable(out.storeCeiling),
    '',
  );
}
if (out.memory) {
  lines.push(memoryTable(out.memory), '');
}
if (out.roomList) {
  lines.push(roomListTable(out.roomList), '');
}
if (out.error) {
  lines.push(`ERROR: ${out.error}`, '');
}
console.log(lines.join('\n'));

const json = JSON.stringify(out, null, 2);
console.log('JSON:');
console.log(JSON.stringify(out, (k, v: unknown) => (k === 'timeline' ? undefined : v)));
if (cfg.json) {
  fs.writeFileSync(cfg.json, json + '\n');
  log(`wrote ${cfg.json}`);
}
process.exit(failed ? 1 : 0);
