// How far one Postgres goes: messages/s the group commit stores with the
// sockets out of the way. Offering more messages over sockets measures the
// instances first (they saturate long before Postgres does on a shared
// machine), so this drives the app's own MessagesRepository directly: each
// "instance" is a Nest application context of the built app (dist/, as
// the instances run it: its migrations, its pool, its prepared batch
// statement, its MicroBatch with two statements in flight), and messages are
// offered open loop at a fixed rate, spread over the instances, as sockets
// would hand them in. (A closed loop, each sender waiting for its commit,
// synchronises the senders: they all resubmit in the turn their batch
// answers, so one batch is ever in flight, which is not how arrivals come.)
import 'reflect-metadata';
import crypto from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { dropDatabase, recreateDatabase } from '../scripts/database.js';
import { cpuDelta, cpuSnapshot, postgresPids, type CpuSnapshot, type CpuUsage } from './cpu.js';
import { table } from './report.js';
import { Samples, round, type Summary } from './stats.js';
import type { NewMessage } from '../src/messages/insert-batch.js';

const POSTGRES = 'postgres://postgres@127.0.0.1:5432';

export interface StoreCeilingOptions {
  /** Application contexts, each with its own repository and pool, as instances would be. */
  instances: number;
  /** Messages offered per second, over all instances. */
  rate: number;
  users: number;
  roomSize: number;
  messageBytes: number;
  warmupS: number;
  durationS: number;
  /** After the last message is offered, how long to wait for the rest to commit. */
  drainS: number;
  /**
   * Drop `messages`' two foreign keys (room, sender) in the bench database
   * before offering: what their per-row checks cost. Never what the app runs.
   */
  dropForeignKeys: boolean;
  databasePrefix: string;
  /** Holds a way to drop the step's database while it exists, for Ctrl-C. */
  live: Set<{ stop(): Promise<void> }>;
  log: (m: string) => void;
}

/** A step kept up: it committed this share of the window's messages in the window, ... */
const KEPT_UP = 0.95;
/** ... and 99 % of them within this many ms of being offered. */
const COMMIT_P99_MS = 100;

export interface StoreCeilingRun {
  instances: number;
  foreignKeys: boolean;
  offeredPerSec: number;
  rooms: number;
  /** New messages committed in the measured window, per second. */
  committedPerSec: number;
  /** Group-commit statements in the window (chat_message_batch_size's count), per second. */
  batchesPerSec: number;
  meanBatch: number | null;
  /** From a message's scheduled offer to its commit: the wait for a batch slot, the statement, the commit. */
  commitMs: Summary;
  /** Committed ≥ 95 % of the window's offered messages in the window, with commit p99 < 100 ms. */
  keptUp: boolean;
  /** Answers that were not a new message (membership moved; none expected), and failures. */
  notStored: number;
  errors: number;
  /** Still uncommitted when the drain ended. */
  unfinished: number;
  /** `generator`: this process, the repositories and the offering loop. */
  cpuPercentOfCore: CpuUsage<'postgres'>;
  /** Postgres's CPU-seconds per committed message, in µs. */
  postgresMicrosPerMessage: number | null;
  /** WAL written per committed message (pg_current_wal_lsn: the whole server, other databases too). */
  walBytesPerMessage: number | null;
}

/** The built app's modules, typed by their sources. */
interface App {
  AppModule: typeof import('../src/app.module.js').AppModule;
  AppConfig: typeof import('../src/config/app-config.js').AppConfig;
  MessagesRepository: typeof import('../src/messages/messages.repository.js').MessagesRepository;
  Metrics: typeof import('../src/metrics/metrics.js').Metrics;
}

type Repository = InstanceType<App['MessagesRepository']>;
type Metrics = InstanceType<App['Metrics']>;

/**
 * The build, not the sources: Nest's injection needs the decorator metadata
 * tsc emits (tsx does not), and the instances run this same code.
 */
async function loadApp(repo: string): Promise<App> {
  const load = async <T>(file: string) =>
    (await import(pathToFileURL(path.join(repo, 'dist', file)).href)) as T;
  const [{ AppModule }, { AppConfig }, { MessagesRepository }, { Metrics }] = await Promise.all([
    load<Pick<App, 'AppModule'>>('app.module.js'),
    load<Pick<App, 'AppConfig'>>('config/app-config.js'),
    load<Pick<App, 'MessagesRepository'>>('messages/messages.repository.js'),
    load<Pick<App, 'Metrics'>>('metrics/metrics.js'),
  ]);
  return { AppModule, AppConfig, MessagesRepository, Metrics };
}

/** An instance without its sockets: the app's modules, its migrations run, no HTTP server. */
async function startContext(app: App, databaseUrl: string, secret: string): Promise<INestApplicationContext> {
  // No REDIS_URL: the repository does not use Redis, and in-process mode opens no connection to it.
  const config = app.AppConfig.load({ DATABASE_URL: databaseUrl, AUTH_SECRET: secret, REDIS_URL: '' });
  return NestFactory.createApplicationContext(app.AppModule.forRoot(config, { silent: true }), {
    logger: false,
  });
}

/** Users, rooms of `roomSize` consecutive users, every user in one room (membership version 0). */
async function seed(
  databaseUrl: string,
  users: number,
  roomSize: number,
  dropForeignKeys: boolean,
): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query(
      `INSERT INTO users (id, name) SELECT 'u' || i, 'user ' || i FROM generate_series(0, $1 - 1) AS i`,
      [users],
    );
    await db.query(`INSERT INTO rooms (id) SELECT 'r' || i FROM generate_series(0, $1 - 1) AS i`, [
      users / roomSize,
    ]);
    await db.query(
      `INSERT INTO room_participants (room_id, user_id)
       SELECT 'r' || (i / $2), 'u' || i FROM generate_series(0, $1 - 1) AS i`,
      [users, roomSize],
    );
    if (dropForeignKeys) {
      await db.query(
        'ALTER TABLE messages DROP CONSTRAINT messages_room_id_fkey, DROP CONSTRAINT messages_sender_id_fkey',
      );
    }
    await db.query('ANALYZE');
  } finally {
    await db.end();
  }
}

async function walPosition(db: pg.Client): Promise<string> {
  return (await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn;
}

/** Bytes between two WAL positions ('16/B374D848'). */
const walBytes = (from: string, to: string) => Number(lsn(to) - lsn(from));
const lsn = (at: string) => {
  const [high, low] = at.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
};

/** Statements and messages the group commit has run so far, from the instance's own metrics. */
async function batchCounts(metrics: Metrics): Promise<{ batches: number; items: number }> {
  const { values } = await metrics.messageBatchSize.get();
  const value = (suffix: string) => values.find((v) => v.metricName?.endsWith(suffix))?.value ?? 0;
  return { batches: value('_count'), items: value('_sum') };
}

/** One step: fresh database, `instances` contexts, `rate` offered for warm-up + `durationS`. */
export async function measureStoreCeiling(repo: string, o: StoreCeilingOptions): Promise<StoreCeilingRun> {
  const app = await loadApp(repo);
  const stamp =
    new Date().toISOString().replace(/\D/g, '').slice(0, 14) + '_' + crypto.randomBytes(2).toString('hex');
  const databaseUrl = `${POSTGRES}/${o.databasePrefix}_${stamp}`;
  const db = new URL(databaseUrl).pathname.slice(1);
  await recreateDatabase(databaseUrl);
  const database = { stop: () => dropDatabase(databaseUrl) };
  o.live.add(database);
  const contexts: INestApplicationContext[] = [];
  const walReader = new pg.Client({ connectionString: databaseUrl });
  // Ctrl-C drops the database under it (WITH (FORCE)): the read fails, not the process.
  walReader.on('error', () => {});
  try {
    const secret = crypto.randomBytes(32).toString('hex');
    // One at a time: the first runs the migrations, which the others then find done.
    for (let i = 0; i < o.instances; i++) {
      contexts.push(await startContext(app, databaseUrl, secret));
    }
    const rooms = o.users / o.roomSize;
    await seed(databaseUrl, o.users, o.roomSize, o.dropForeignKeys);
    await walReader.connect();
    o.log(
      `store ceiling: ${o.rate} msg/s offered to ${o.instances} instance(s), ${rooms} rooms, database ${db}` +
        (o.dropForeignKeys ? ', messages without its foreign keys' : ''),
    );
    const instances = contexts.map((c) => ({
      repository: c.get(app.MessagesRepository, { strict: false }),
      metrics: c.get(app.Metrics, { strict: false }),
    }));
    const run = await offer(instances, walReader, { ...o, rooms, db });
    o.log(
      `store ceiling: ${o.rate} msg/s offered, ${run.committedPerSec} committed/s, mean batch ${run.meanBatch}, ` +
        `commit p99 ${run.commitMs.p99} ms${run.keptUp ? '' : ' (behind)'}`,
    );
    return run;
  } finally {
    await walReader.end().catch(() => {});
    await Promise.allSettled(contexts.map((c) => c.close()));
    await dropDatabase(databaseUrl);
    o.live.delete(database);
    o.log(`dropped database ${db}`);
  }
}

interface Instance {
  repository: Repository;
  metrics: Metrics;
}

/** What is read at both ends of the measured window. */
interface Reading {
  cpu: CpuSnapshot<'postgres'>;
  wal: string;
  batches: { batches: number; items: number };
}

async function read(
  cpu: CpuSnapshot<'postgres'>,
  instances: Instance[],
  walReader: pg.Client,
): Promise<Reading> {
  const counts = await Promise.all(instances.map((i) => batchCounts(i.metrics)));
  const batches = counts.reduce((t, c) => ({ batches: t.batches + c.batches, items: t.items + c.items }));
  return { cpu, wal: await walPosition(walReader), batches };
}

/**
 * Message i is due at t0 + i / rate, whatever the commits do, and goes to
 * instance i mod N: a slow database shows as commit latency and a shortfall
 * of commits, never as a quietly lower offer.
 */
async function offer(
  instances: Instance[],
  walReader: pg.Client,
  o: StoreCeilingOptions & { rooms: number; db: string },
): Promise<StoreCeilingRun> {
  const content = 'x'.repeat(o.messageBytes);
  const message = (): NewMessage => {
    const room = Math.floor(Math.random() * o.rooms);
    const sender = room * o.roomSize + Math.floor(Math.random() * o.roomSize);
    return {
      messageId: crypto.randomUUID(),
      roomId: `r${room}`,
      senderId: `u${sender}`,
      content,
      membersVersion: 0,
    };
  };
  const warmupN = Math.round(o.rate * o.warmupS);
  const total = warmupN + Math.round(o.rate * o.durationS);
  const periodMs = 1000 / o.rate;
  const latencies = new Samples(total);
  const groups = { postgres: () => postgresPids(o.db) };
  let measuring = false;
  let committed = 0;
  let notStored = 0;
  let errors = 0;
  let settled = 0;
  const t0 = performance.now() + 20;
  const submit = (i: number) => {
    const due = t0 + i * periodMs;
    instances[i % instances.length].repository.insert(message()).then(
      (result) => {
        settled++;
        if (typeof result !== 'object' || !result.created) {
          notStored++;
          return;
        }
        committed += measuring ? 1 : 0;
        if (i >= warmupN) {
          latencies.push(performance.now() - due);
        }
      },
      () => {
        settled++;
        errors++;
      },
    );
  };
  // The window opens when message warmupN goes out and closes after the last one.
  const [start, end] = await new Promise<[Promise<Reading>, Promise<Reading>]>((resolve) => {
    let next = 0;
    let opened: Promise<Reading> | null = null;
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * o.rate) / 1000) + 1);
      while (next < due) {
        if (next === warmupN) {
          opened = read(cpuSnapshot(groups), instances, walReader);
          measuring = true;
        }
        submit(next++);
      }
      if (next >= total) {
        measuring = false;
        const closed = read(cpuSnapshot(groups), instances, walReader);
        return resolve([opened ?? closed, closed]);
      }
      setTimeout(tick, Math.max(0, t0 + next * periodMs - performance.now()));
    };
    setTimeout(tick, Math.max(0, t0 - performance.now()));
  });
  const [before, after] = await Promise.all([start, end]);
  const drainUntil = performance.now() + o.drainS * 1000;
  while (settled < total && performance.now() < drainUntil) {
    await new Promise((r) => setTimeout(r, 20));
  }

  const cpu = cpuDelta(before.cpu, after.cpu);
  const batches = after.batches.batches - before.batches.batches;
  const postgresSeconds = (cpu.postgres / 100) * cpu.seconds;
  const commitMs = latencies.summary();
  const per = (v: number) => (committed ? Math.round(v / committed) : null);
  return {
    instances: instances.length,
    foreignKeys: !o.dropForeignKeys,
    offeredPerSec: o.rate,
    rooms: o.rooms,
    committedPerSec: Math.round(committed / cpu.seconds),
    batchesPerSec: round(batches / cpu.seconds, 1),
    meanBatch: batches ? round((after.batches.items - before.batches.items) / batches, 1) : null,
    commitMs,
    keptUp: committed >= KEPT_UP * (total - warmupN) && commitMs.p99 !== null && commitMs.p99 < COMMIT_P99_MS,
    notStored,
    errors,
    unfinished: total - settled,
    cpuPercentOfCore: cpu,
    postgresMicrosPerMessage: per(postgresSeconds * 1e6),
    walBytesPerMessage: per(walBytes(before.wal, after.wal)),
  };
}

export function storeCeilingTable(runs: StoreCeilingRun[]): string {
  const rows = runs.map((r) => [
    `${r.instances}${r.foreignKeys ? '' : ' (no FKs)'}`,
    r.offeredPerSec,
    r.committedPerSec,
    r.batchesPerSec,
    r.meanBatch,
    `${r.commitMs.p50}/${r.commitMs.p99}`,
    r.cpuPercentOfCore.postgres,
    r.cpuPercentOfCore.generator,
    r.cpuPercentOfCore.other,
    `${r.cpuPercentOfCore.machine}/${r.cpuPercentOfCore.cores * 100}`,
    r.postgresMicrosPerMessage,
    r.walBytesPerMessage,
    r.notStored + r.errors + r.unfinished,
    r.keptUp ? 'ok' : 'behind',
  ]);
  const kept = runs.filter((r) => r.keptUp);
  const top = (list: StoreCeilingRun[]) =>
    list.reduce<StoreCeilingRun | null>(
      (best, r) => (best && best.committedPerSec >= r.committedPerSec ? best : r),
      null,
    );
  const [sustained, saturated] = [top(kept), top(runs)];
  const describe = (r: StoreCeilingRun) =>
    `${r.committedPerSec} msg/s committed (${r.offeredPerSec} offered to ${r.instances} instance(s), mean batch ${r.meanBatch}, ` +
    `commit p99 ${r.commitMs.p99} ms, Postgres ${r.cpuPercentOfCore.postgres}% of a core)`;
  return [
    'Store ceiling (MessagesRepository.insert in the built app, no sockets; open loop; cpu in % of one core, "app" is this process)',
    table(
      [
        'instances',
        'offered/s',
        'committed/s',
        'batches/s',
        'mean batch',
        'commit ms p50/p99',
        'cpu% pg',
        'app',
        'other',
        'machine',
        'pg µs/msg',
        'WAL B/msg',
        'not stored',
        'verdict',
      ],
      rows,
    ),
    `Highest kept up (≥ ${KEPT_UP * 100} % of the window's messages committed in it, commit p99 < ${COMMIT_P99_MS} ms): ` +
      (sustained ? describe(sustained) : 'none'),
    ...(saturated && saturated !== sustained ? [`Most committed: ${describe(saturated)}`] : []),
  ].join('\n');
}
