// Chat backend load benchmark. See bench/README.md.
//   tsx bench/run.ts [--rate 1000 | --sweep 250,500,1000,2000,4000,8000] [--duration 10]
//                    [--users 400] [--room-size 4] [--memory] [--json out.json] [--entry dist/main.js]
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startInstances, type Instances, type RedisMode } from './instances.js';
import { createUsers, connectUsers, createRooms, disconnectUsers } from './clients.js';
import { runLoad, type LoadResult } from './load.js';
import { measureMemory, type MemoryResult } from './memory.js';
import { measureRoomList, roomListTable, type RoomListResult } from './room-list.js';
import { pidsByComm, postgresPids } from './cpu.js';
import { loadTables, knee, memoryTable, type Knee, type ReportedRun } from './report.js';
import { measureInstances, scalingTable, type PubSubMode, type ScalingRun } from './scaling.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const { values: o } = parseArgs({
  options: {
    rate: { type: 'string' },
    sweep: { type: 'string' },
    duration: { type: 'string', default: '10' },
    repeat: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '5' },
    drain: { type: 'string', default: '5' },
    users: { type: 'string', default: '400' },
    'room-size': { type: 'string', default: '4' },
    'message-bytes': { type: 'string', default: '64' },
    instances: { type: 'string', default: '2' },
    'rate-limit': { type: 'string', default: '100000' },
    redis: { type: 'string', default: 'private' },
    memory: { type: 'boolean', default: false },
    scaling: { type: 'boolean', default: false },
    'memory-clients': { type: 'string', default: '400,4000' },
    'room-list': { type: 'string' },
    json: { type: 'string' },
    entry: { type: 'string', default: path.join(repo, 'dist/main.js') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (o.help) {
  console.log(fs.readFileSync(new URL('./README.md', import.meta.url), 'utf8'));
  process.exit(0);
}

const num = (v: string, name: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    throw new Error(`--${name} must be a positive number, got ${v}`);
  }
  return n;
};
const list = (v: string, name: string) => v.split(',').map((x) => num(x.trim(), name));

const cfg = {
  rates: o.scaling
    ? []
    : o.sweep
      ? list(o.sweep, 'sweep')
      : o.rate
        ? [num(o.rate, 'rate')]
        : o.memory || o['room-list']
          ? []
          : [1000],
  durationS: num(o.duration, 'duration'),
  repeat: num(o.repeat, 'repeat'),
  warmupS: Number(o.warmup),
  drainS: num(o.drain, 'drain'),
  users: num(o.users, 'users'),
  roomSize: num(o['room-size'], 'room-size'),
  messageBytes: num(o['message-bytes'], 'message-bytes'),
  /** With --scaling, a list (2,4,6); otherwise the first one. */
  instanceCounts: list(o.instances, 'instances'),
  instances: list(o.instances, 'instances')[0],
  scaling: o.scaling,
  scalingRate: num(o.rate ?? '400', 'rate'),
  rateLimit: num(o['rate-limit'], 'rate-limit'),
  memory: o.memory,
  memoryClients: list(o['memory-clients'], 'memory-clients'),
  /** [rooms, messages per room] for the GET /rooms measurement, or null. */
  roomList: o['room-list'] ? (list(o['room-list'], 'room-list') as [number, number]) : null,
  entry: path.resolve(o.entry),
  redis: (['private', 'shared'] as const).find((mode: RedisMode) => mode === o.redis),
};
if (!cfg.redis) {
  throw new Error('--redis must be private or shared');
}
if (cfg.roomSize < 3 || cfg.roomSize > 32) {
  throw new Error('--room-size must be 3..32');
}
if (cfg.users % cfg.roomSize) {
  throw new Error('--users must be a multiple of --room-size');
}

const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Instances are ours: on Ctrl-C stop them and drop their database before exiting.
const live = new Set<Instances>();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping instances`);
    void Promise.allSettled([...live].map((h) => h.stop())).then(() => process.exit(130));
  });
}

async function withInstances<T>(fn: (inst: Instances) => Promise<T>, count = cfg.instances): Promise<T> {
  const inst = await startInstances({
    entry: cfg.entry,
    count,
    cwd: repo,
    rateLimit: cfg.rateLimit,
    redis: cfg.redis,
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

/** One offered rate on fresh instances and a fresh database. */
async function loadStep(rate: number): Promise<LoadResult & { setup?: Setup }> {
  return withInstances(async (inst) => {
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
  });
}

const ms = (v: number) => `${Math.round(v)} ms`;

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
      const perInstance = await measureInstances(inst.urls, inst.pids, async () => {
        result = await runLoad(members, { ...cfg, rate: cfg.scalingRate, cpuGroups, log });
      });
      const { missing, duplicates } = result!.correctness;
      log(`${mode}, ${count} instances: missing ${missing}, dup ${duplicates}`);
      return { mode, instances: count, rate: cfg.scalingRate, perInstance, missing, duplicates };
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

const out: {
  meta: typeof meta;
  runs: (ReportedRun & { setup?: Setup })[];
  knee: Knee | null;
  memory: MemoryResult | null;
  roomList: RoomListResult | null;
  scaling: ScalingRun[];
  error?: string;
} = { meta, runs: [], knee: null, memory: null, roomList: null, scaling: [] };
let failed = false;
try {
  log(
    `instances get RATE_LIMIT_PER_SECOND=RATE_LIMIT_BURST=${cfg.rateLimit} (throughput run, not the production limit)`,
  );
  for (const rate of cfg.rates) {
    for (let run = 1; run <= cfg.repeat; run++) {
      out.runs.push({ ...(await loadStep(rate)), run, of: cfg.repeat });
      await sleep(1000); // let Postgres finish background work before the next step
    }
  }
  if (out.runs.length) {
    out.knee = knee(out.runs);
  }
  if (cfg.scaling) {
    // Alternating modes at each size, so drift on a shared machine hits both alike.
    for (const count of cfg.instanceCounts) {
      for (const mode of ['classic', 'sharded'] as const) {
        out.scaling.push(await scalingStep(mode, count));
        await sleep(1000);
      }
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
if (out.knee) {
  const rule =
    cfg.repeat > 1
      ? 'highest rate where every run delivered everything exactly once with no error acks, and most runs had delivery p99 < 100 ms'
      : 'highest rate with every delivery exactly once, no error acks, delivery p99 < 100 ms';
  lines.push(
    `Knee (${rule}): ${out.knee.rate ?? 'none'}${out.knee.rate ? ' msg/s' : ''}${out.knee.note ? ` (${out.knee.note})` : ''}`,
    '',
  );
}
if (out.scaling.length) {
  lines.push(
    `Scaling: ${cfg.scalingRate} msg/s offered in total, ${meta.users} users in rooms of ${meta.roomSize} ` +
      `(room r's members alternate between instances r and r+1 mod N), ${meta.durationS}s measured after ${meta.warmupS}s warm-up; ` +
      'counters and CPU over the whole load (warm-up, measured, drain).',
    scalingTable(out.scaling),
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
if (o.json) {
  fs.writeFileSync(o.json, json + '\n');
  log(`wrote ${o.json}`);
}
process.exit(failed ? 1 : 0);
