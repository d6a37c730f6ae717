// Starts N server instances on a fresh Postgres database and stops them again.
// Each run gets its own database so results do not depend on earlier data, and
// the instances start together on the empty database (migrations are advisory-locked).
import { spawn, type ChildProcess } from 'node:child_process';
import { findFreePort as freePort } from '../scripts/cluster.js';
import { dropDatabase, recreateDatabase } from '../scripts/database.js';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The Postgres server the bench's databases are made on (user postgres, trust auth). */
const POSTGRES = 'postgres://postgres@127.0.0.1:5432';

/** How a child ended, as reported in errors. */
interface ExitStatus {
  code?: number | null;
  sig?: NodeJS.Signals | null;
  /** It never started (e.g. redis-server is not installed). */
  error?: string;
}

/** A started server instance or private redis-server. */
interface Proc {
  child: ChildProcess;
  exited: Promise<ExitStatus>;
  isRedis: boolean;
  /** Where an instance logs. */
  logFile?: string;
}

export type RedisMode = 'private' | 'shared';

export interface Instances {
  db: string;
  /** postgres:// URL of `db`. */
  databaseUrl: string;
  logDir: string;
  urls: string[];
  pids: number[];
  procs: Proc[];
  /** The private redis-server, if any. */
  redisPid: number | null;
  redisUrl?: string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tail(file: string | undefined, lines = 30): string {
  if (file === undefined) {
    return '';
  }
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Start `count` instances of `entry`. Returns { urls, pids, db, redisPid, logDir, stop() }.
 * rateLimit is passed as RATE_LIMIT_PER_SECOND / RATE_LIMIT_BURST so that the
 * per-user limiter does not cap a throughput measurement.
 *
 * redis 'private' starts a redis-server of our own on a free port: the Socket.IO
 * Redis adapter publishes on fixed channel names, so on the shared Redis every other
 * server process (a dev cluster, e2e tests) would receive and filter our broadcasts,
 * and ours theirs, which loads both sides and skews the numbers. 'shared' uses REDIS_URL.
 */
export async function startInstances({
  entry,
  count = 2,
  cwd,
  rateLimit,
  redis = 'private',
  databasePrefix = 'chat_bench',
  readyTimeoutMs = 60000,
  log = () => {},
}: {
  entry: string;
  count?: number;
  cwd?: string;
  rateLimit: number;
  redis?: RedisMode;
  /** The run's database is `<prefix>_<timestamp>`. */
  databasePrefix?: string;
  readyTimeoutMs?: number;
  log?: (m: string) => void;
}): Promise<Instances> {
  if (!fs.existsSync(entry)) {
    throw new Error(`entry ${entry} not found (run "npm run build" first, or pass --entry)`);
  }
  const stamp =
    new Date().toISOString().replace(/\D/g, '').slice(0, 14) + '_' + crypto.randomBytes(2).toString('hex');
  const db = `${databasePrefix}_${stamp}`;
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), `chat-bench-${stamp}-`));
  const databaseUrl = `${POSTGRES}/${db}`;
  await recreateDatabase(databaseUrl); // the name is new: this creates it
  log(`created database ${db}; instance logs in ${logDir}`);

  const secret = crypto.randomBytes(32).toString('hex'); // 64 chars, same for all instances
  const procs: Proc[] = [];
  const handle: Instances = {
    db,
    databaseUrl,
    logDir,
    urls: [],
    pids: [],
    procs,
    redisPid: null,
    stop: () => stopAll(procs, databaseUrl, log),
  };
  try {
    let redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
    if (redis === 'private') {
      const r = await startRedis(logDir);
      procs.push(r.proc); // stopped with the instances (after them: see stopAll)
      redisUrl = r.url;
      handle.redisPid = r.proc.child.pid ?? null;
      log(`private redis-server on ${redisUrl} (pid ${r.proc.child.pid})`);
    }
    handle.redisUrl = redisUrl;
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const logFile = path.join(logDir, `instance-${i}.log`);
      const out = fs.openSync(logFile, 'a');
      const child = spawn(process.execPath, [entry], {
        cwd,
        stdio: ['ignore', out, out],
        env: {
          ...process.env,
          NODE_ENV: process.env.NODE_ENV || 'production',
          PORT: String(port),
          DATABASE_URL: databaseUrl,
          REDIS_URL: redisUrl,
          AUTH_SECRET: secret,
          CORS_ORIGINS: '*',
          RATE_LIMIT_PER_SECOND: String(rateLimit),
          RATE_LIMIT_BURST: String(rateLimit),
          // Setup signs up and connects hundreds of users and rooms from one address.
          ROOM_LIMIT_PER_MINUTE: '0',
          SIGNUP_LIMIT_PER_MINUTE: '0',
        },
      });
      fs.closeSync(out);
      const exited = new Promise<ExitStatus>((r) => child.once('exit', (code, sig) => r({ code, sig })));
      procs.push({ child, exited, isRedis: false, logFile });
      handle.urls.push(`http://127.0.0.1:${port}`);
      // undefined only when the spawn failed, which waitReady reports
      handle.pids.push(child.pid ?? -1);
    }
    const servers = procs.filter((p) => !p.isRedis);
    await Promise.all(servers.map((p, i) => waitReady(handle.urls[i], p, readyTimeoutMs)));
    log(`instances ready: ${handle.urls.map((u, i) => `${u} (pid ${handle.pids[i]})`).join(', ')}`);
    return handle;
  } catch (e) {
    await handle.stop();
    throw e;
  }
}

/** Poll GET /health/ready until 200; fail fast if the process exits. */
async function waitReady(url: string, proc: Proc, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: ExitStatus | null = null;
  void proc.exited.then((x) => (exited = x));
  while (Date.now() < deadline) {
    if (exited) {
      throw new Error(
        `instance ${url} exited (${JSON.stringify(exited)}) before ready:\n${tail(proc.logFile)}`,
      );
    }
    try {
      const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) {
        return;
      }
    } catch {
      /* not listening yet */
    }
    await sleep(200);
  }
  throw new Error(`instance ${url} not ready after ${timeoutMs} ms:\n${tail(proc.logFile)}`);
}

/** Instances first (SIGTERM, SIGKILL after 15 s), then a private Redis, then drop the database. */
async function stopAll(procs: Proc[], databaseUrl: string, log: (m: string) => void): Promise<void> {
  const stop = async ({ child, exited }: Proc) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 15000); // after the server's own SHUTDOWN_TIMEOUT_MS (10 s)
    await exited;
    clearTimeout(t);
  };
  await Promise.all(procs.filter((p) => !p.isRedis).map(stop));
  await Promise.all(procs.filter((p) => p.isRedis).map(stop));
  procs.length = 0;
  const db = new URL(databaseUrl).pathname.slice(1);
  try {
    await dropDatabase(databaseUrl);
    log(`dropped database ${db}`);
  } catch (e) {
    log(`could not drop database ${db}: ${(e as Error).message}`);
  }
}

/** A throwaway redis-server: no persistence, loopback only, ready when it answers PING. */
async function startRedis(logDir: string): Promise<{ proc: Proc; url: string }> {
  const port = await freePort();
  const out = fs.openSync(path.join(logDir, 'redis.log'), 'a');
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', out, out],
    },
  );
  fs.closeSync(out);
  const proc: Proc = {
    child,
    isRedis: true,
    exited: new Promise((r) => {
      child.once('exit', (code, sig) => r({ code, sig }));
      child.once('error', (e) => r({ error: e.message })); // e.g. redis-server not installed
    }),
  };
  let exited: ExitStatus | null = null;
  void proc.exited.then((x) => (exited = x));
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    if (exited) {
      throw new Error(`redis-server exited: ${JSON.stringify(exited)} (use --redis shared to use REDIS_URL)`);
    }
    if (await ping(port)) {
      return { proc, url: `redis://127.0.0.1:${port}` };
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error('private redis-server did not answer PING within 10 s');
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.setTimeout(1000);
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => (s.destroy(), resolve(d.toString().startsWith('+PONG'))));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}
