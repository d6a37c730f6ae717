// What the command line asks the bench to do: parsed, checked and filled in
// with defaults once, before anything starts. See bench/README.md.
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RedisMode } from './instances.js';

/** The repository the bench belongs to: its dist/ is the working tree's build. */
export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: o } = parseArgs({
  options: {
    rate: { type: 'string' },
    sweep: { type: 'string' },
    duration: { type: 'string', default: '10' },
    repeat: { type: 'string' },
    warmup: { type: 'string' },
    drain: { type: 'string', default: '5' },
    users: { type: 'string', default: '400' },
    'room-size': { type: 'string', default: '4' },
    'message-bytes': { type: 'string', default: '64' },
    instances: { type: 'string', default: '2' },
    'rate-limit': { type: 'string', default: '100000' },
    redis: { type: 'string', default: 'private' },
    memory: { type: 'boolean', default: false },
    scaling: { type: 'boolean', default: false },
    'rate-per-instance': { type: 'string' },
    'store-ceiling': { type: 'boolean', default: false },
    'drop-foreign-keys': { type: 'boolean', default: false },
    'memory-clients': { type: 'string', default: '400,4000' },
    'room-list': { type: 'string' },
    json: { type: 'string' },
    entry: { type: 'string', default: path.join(repo, 'dist/main.js') },
    baseline: { type: 'string' },
    full: { type: 'boolean', default: false },
    'database-prefix': { type: 'string', default: 'chat_bench' },
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

// `npm run bench` passes --full: the whole benchmark, unless the command line
// names what to measure (`npm run bench -- --rate 1500`), which then replaces
// it; options that only tune a run (--repeat, --duration, --baseline …) keep it.
const FULL = {
  sweep: '1000,2000,3000,4000,5000,6000,8000',
  repeat: '3',
  memory: true,
  roomList: '1000,10000',
};
const full = o.full && !(o.rate || o.sweep || o.memory || o['room-list'] || o.scaling || o['store-ceiling']);
if (full) {
  o.sweep = FULL.sweep;
  o.memory = FULL.memory;
  o['room-list'] = FULL.roomList;
}

const STORE_CEILING_RATES = '2500,5000,10000,20000';

export const cfg = {
  rates:
    o.scaling || o['store-ceiling']
      ? []
      : o.sweep
        ? list(o.sweep, 'sweep')
        : o.rate
          ? [num(o.rate, 'rate')]
          : o.memory || o['room-list']
            ? []
            : [1000],
  durationS: num(o.duration, 'duration'),
  repeat: num(o.repeat ?? (full ? FULL.repeat : '1'), 'repeat'),
  /** With --scaling, at the smallest size: larger sizes warm up longer (see scalingStep). */
  warmupS: Number(o.warmup ?? (o.scaling ? '20' : '5')),
  drainS: num(o.drain, 'drain'),
  users: num(o.users, 'users'),
  roomSize: num(o['room-size'], 'room-size'),
  messageBytes: num(o['message-bytes'], 'message-bytes'),
  /** With --store-ceiling, the offered rates (--sweep or --rate), or none. */
  storeCeilingRates: o['store-ceiling'] ? list(o.sweep ?? o.rate ?? STORE_CEILING_RATES, 'sweep') : [],
  /** With --scaling and --store-ceiling, a list (2,4,6); otherwise the first one. */
  instanceCounts: list(o.instances, 'instances'),
  instances: list(o.instances, 'instances')[0],
  scaling: o.scaling,
  scalingRate: num(o.rate ?? '200', 'rate'),
  /** With --scaling: offer this many msg/s per instance at each size instead of one total rate, or null. */
  scalingRatePerInstance: o['rate-per-instance'] ? num(o['rate-per-instance'], 'rate-per-instance') : null,
  rateLimit: num(o['rate-limit'], 'rate-limit'),
  memory: o.memory,
  memoryClients: list(o['memory-clients'], 'memory-clients'),
  /** [rooms, messages per room] for the GET /rooms measurement, or null. */
  roomList: o['room-list'] ? (list(o['room-list'], 'room-list') as [number, number]) : null,
  entry: path.resolve(o.entry),
  /** A git ref whose build runs in turns with `entry` at every load rate. */
  baseline: o.baseline ?? null,
  databasePrefix: o['database-prefix'],
  dropForeignKeys: o['drop-foreign-keys'],
  /** Where to write the full result as JSON, or null. */
  json: o.json ?? null,
  redis: (['private', 'shared'] as const).find((mode: RedisMode) => mode === o.redis),
};
if (!cfg.redis) {
  throw new Error('--redis must be private or shared');
}
if (o['rate-per-instance'] && (!o.scaling || o.rate)) {
  throw new Error('--rate-per-instance goes with --scaling, instead of --rate');
}
if (cfg.roomSize < 3 || cfg.roomSize > 32) {
  throw new Error('--room-size must be 3..32');
}
if (cfg.users % cfg.roomSize) {
  throw new Error('--users must be a multiple of --room-size');
}
if (!/^[a-z_][a-z0-9_]*$/.test(cfg.databasePrefix)) {
  throw new Error('--database-prefix must be lower-case letters, digits and _');
}
if (cfg.baseline !== null && !cfg.rates.length) {
  throw new Error('--baseline compares load runs: give it --rate or --sweep');
}
