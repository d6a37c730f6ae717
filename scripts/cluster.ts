/**
 * Local load-balanced cluster: N instances of the app behind nginx, using the
 * same deploy/nginx.conf as docker-compose.
 *
 * CLI:
 *   tsx scripts/cluster.ts [--instances 3] [--port 8080] [--base-port 3101] [--entry dist/main.js]
 *
 * API (tests import it as ../scripts/cluster.js):
 *   const cluster = await startCluster({ instances, port, basePort, env, log });
 *   await cluster.instances[1].stop('SIGKILL'); await cluster.instances[1].start();
 *   await cluster.stop();
 *
 * Needs `nginx` on PATH; creates the database if it is missing (with `pg`).
 */
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, realpathSync, rmSync } from 'node:fs';
import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureDatabase } from './database.js';
import { startRedisCluster, type LocalRedisCluster } from './redis-cluster.js';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be spawned at all. */
  error?: Error;
}

export interface ClusterOptions {
  /** Number of app instances (default 3). */
  instances?: number;
  /** Load-balancer port on 127.0.0.1 (default 8080; 0 = pick a free port). */
  port?: number;
  /** Instance i listens on basePort + i (default 3101; 0 = pick free ports). */
  basePort?: number;
  /** Extra/overriding environment for the instances, on top of process.env. */
  env?: Env;
  /** Receives every log line, already prefixed (`app1    | ...`). Default: stdout. */
  log?: (line: string) => void;
  /** App entry, relative to the repo root (default dist/main.js, then dist/src/main.js; env CLUSTER_ENTRY). */
  entry?: string;
  /** Node flags for instances (default ['--enable-source-maps']). */
  nodeArgs?: string[];
  /** nginx binary (default: `nginx` on PATH or /usr/sbin; env NGINX_BIN). */
  nginx?: string;
  /** Per-process readiness timeout (default 30000). */
  readyTimeoutMs?: number;
  /** SIGTERM grace before SIGKILL when stopping an instance (default 10000, or SHUTDOWN_TIMEOUT_MS + 5000 if larger). */
  stopTimeoutMs?: number;
  /** Called when a child exits without being asked to (name is `appN` or `nginx`). */
  onExit?: (name: string, info: ExitInfo) => void;
}

export interface ClusterInstance {
  readonly name: string;
  readonly port: number;
  /** http://127.0.0.1:<port> — talks to this instance directly, bypassing nginx. */
  readonly url: string;
  /** The live child process, or null while stopped. A new object after every start(). */
  readonly process: ChildProcess | null;
  readonly running: boolean;
  /** Last log lines of the current (or last) run. */
  logs(): string[];
  /** (Re)start on the same port; resolves once GET /health/ready answers 200. */
  start(): Promise<void>;
  /** 'SIGTERM' (default): graceful, SIGKILL after stopTimeoutMs. 'SIGKILL': simulate a crash. */
  stop(signal?: NodeJS.Signals): Promise<ExitInfo | null>;
}

export interface ClusterNginx {
  readonly process: ChildProcess;
  readonly accessLog: string;
  logs(): string[];
  stop(): Promise<ExitInfo | null>;
}

export interface Cluster {
  /** http://127.0.0.1:<port> of nginx. Responses carry X-Upstream-Addr (which instance served). */
  readonly lbUrl: string;
  readonly instances: ClusterInstance[];
  readonly nginx: ClusterNginx | null;
  /** Temp nginx prefix dir (removed by stop()). */
  readonly prefix: string;
  /** Stop nginx, then all instances (SIGTERM, then SIGKILL); remove the prefix. Idempotent. */
  stop(): Promise<void>;
}

type Env = Record<string, string | undefined>;
type Log = (line: string) => void;

/** A child started by spawnManaged, with what we know about its end. */
interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** The last LOG_TAIL_LINES lines of its stdout and stderr. */
  readonly tail: string[];
  exitInfo: ExitInfo | null;
  expectedExit: boolean;
  /** Resolves once it has exited and its stdio is drained (or after 1 s). */
  readonly closed: Promise<void>;
}

/** What the instances and nginx are started with. */
interface ProcessOptions {
  log: Log;
  stopTimeoutMs: number;
  readyTimeoutMs: number;
  onExit?: ClusterOptions['onExit'];
}

interface NginxProcess extends ClusterNginx {
  ready(url: string): Promise<void>;
}

/** Signals to send in order, each followed by how long to wait for the exit. */
type StopSteps = [NodeJS.Signals, number][];

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NGINX_CONF = path.join(REPO_ROOT, 'deploy', 'nginx.conf');

const DEFAULTS = {
  instances: 3,
  port: 8080,
  basePort: 3101,
  readyTimeoutMs: 30_000,
};

// Local-dev values, applied only when the variable is not set at all.
const DEV_ENV = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/chat',
  REDIS_URL: 'redis://127.0.0.1:6379',
};
const DEV_AUTH_SECRET = 'local-cluster-dev-secret-not-for-production-0123456789';

// tsc with rootDir "." emits dist/src/main.js; a build with rootDir "src" emits dist/main.js.
const ENTRY_CANDIDATES = ['dist/main.js', 'dist/src/main.js'];
const LOG_TAIL_LINES = 30;
const POLL_INTERVAL_MS = 250;

// Everything started by this module, so a crash or an early exit of the parent
// can still kill the children (they run in their own process groups, see spawnManaged).
const liveProcs = new Set<ManagedProcess>();
const livePrefixes = new Set<string>();
const liveClusters = new Set<Cluster>();
process.on('exit', killEverythingNow);

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/**
 * Start `instances` app processes and nginx in front of them. Resolves once
 * every instance and the load balancer answer GET /health/ready with 200.
 * On any failure everything already started is stopped and the promise rejects.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const opts = { ...DEFAULTS, ...withoutUndefined(options) };
  const log = opts.log ?? defaultLog;
  const say = (msg: string) => log(`${pad('cluster')} | ${msg}`);
  assertCount('instances', opts.instances, 1);
  assertCount('port', opts.port, 0);
  assertCount('basePort', opts.basePort, 0);

  const entry = resolveEntry(opts.entry ?? process.env.CLUSTER_ENTRY);
  const nginxBin = findExecutable(opts.nginx ?? process.env.NGINX_BIN ?? 'nginx');
  if (!nginxBin) {
    throw new Error('nginx not found on PATH (apt-get install -y nginx, or set NGINX_BIN)');
  }
  const env = buildEnv(opts.env, say);

  const ports = await pickInstancePorts(opts.basePort, opts.instances);
  const lbPort = opts.port === 0 ? await findFreePort() : opts.port;
  await assertPortsFree([...ports.map((p, i): [number, string] => [p, `app${i + 1}`]), [lbPort, 'nginx']]);
  await prepareDatabase(env.DATABASE_URL, say);

  const lbUrl = `http://127.0.0.1:${lbPort}`;
  const stopTimeoutMs = opts.stopTimeoutMs ?? defaultStopTimeout(env);
  const procOpts: ProcessOptions = {
    log,
    stopTimeoutMs,
    readyTimeoutMs: opts.readyTimeoutMs,
    onExit: opts.onExit,
  };
  const instances = ports.map((port, i) =>
    createInstance({ ...procOpts, name: `app${i + 1}`, port, entry, env, nodeArgs: opts.nodeArgs }),
  );
  // Created before anything runs so that stop() always knows about it.
  const prefix = await writeNginxPrefix(ports, lbPort);

  let nginx: NginxProcess | null = null;
  let stopping: Promise<void> | null = null;
  const cluster: Cluster = {
    lbUrl,
    instances,
    prefix,
    get nginx() {
      return nginx;
    },
    // Idempotent: LB first so no new traffic reaches instances that are draining.
    stop() {
      stopping ??= (async () => {
        liveClusters.delete(cluster);
        if (nginx) {
          await nginx.stop();
        }
        await Promise.all(instances.map((i) => i.stop('SIGTERM')));
        await rm(prefix, { recursive: true, force: true });
        livePrefixes.delete(prefix);
        say('stopped');
      })();
      return stopping;
    },
  };
  liveClusters.add(cluster);

  try {
    // Instances start together; migrations are serialized by the app's advisory lock.
    const results = await Promise.allSettled(instances.map((i) => i.start()));
    const failures = results.filter((r) => r.status === 'rejected').map((r) => toError(r.reason));
    if (stopping) {
      throw new Error('cluster was stopped while starting');
    }
    if (failures.length) {
      throw combineErrors(failures);
    }

    nginx = startNginx({ ...procOpts, nginxBin, prefix }); // synchronous spawn: stop() sees it from here on
    await nginx.ready(`${lbUrl}/health/ready`);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  say(`ready: ${instances.map((i) => `${i.name}=${i.port}`).join(' ')} lb=${lbUrl}`);
  return cluster;
}

/** Stop every cluster started by this module (used by the CLI's signal handler). */
export async function stopAllClusters(): Promise<void> {
  await Promise.all([...liveClusters].map((c) => c.stop()));
}

// ---------------------------------------------------------------------------
// Instances and nginx
// ---------------------------------------------------------------------------

interface InstanceOptions extends ProcessOptions {
  name: string;
  port: number;
  entry: string;
  env: Env;
  nodeArgs?: string[];
}

function createInstance({
  name,
  port,
  entry,
  env,
  nodeArgs,
  log,
  stopTimeoutMs,
  readyTimeoutMs,
  onExit,
}: InstanceOptions): ClusterInstance {
  const url = `http://127.0.0.1:${port}`;
  let current: ManagedProcess | null = null;

  return {
    name,
    port,
    url,
    /** The live ChildProcess, or null when stopped. Changes on every start(). */
    get process() {
      return current && !current.exitInfo ? current.child : null;
    },
    get running() {
      return Boolean(current && !current.exitInfo);
    },
    /** Last log lines of the current (or last) run. */
    logs() {
      return current ? [...current.tail] : [];
    },
    /** (Re)start on the same port; resolves when /health/ready answers 200. */
    async start() {
      if (current && !current.exitInfo) {
        throw new Error(`${name} is already running (pid ${current.child.pid})`);
      }
      // A stale process on the port would answer the readiness probe for us.
      await assertPortsFree([[port, name]]);
      current = spawnManaged({
        name,
        command: process.execPath,
        args: [...(nodeArgs ?? ['--enable-source-maps']), entry],
        env: { ...env, PORT: String(port) },
        log,
        onExit,
      });
      try {
        await waitForHttpOk(`${url}/health/ready`, current, readyTimeoutMs);
      } catch (err) {
        await terminate(current, [['SIGKILL', 5_000]]);
        throw err;
      }
    },
    /**
     * Stop the instance. SIGTERM (default) lets the app drain and escalates to
     * SIGKILL after stopTimeoutMs; SIGKILL simulates a crash.
     */
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (!current || current.exitInfo) {
        return current?.exitInfo ?? null;
      }
      return terminate(
        current,
        signal === 'SIGKILL'
          ? [['SIGKILL', 5_000]]
          : [
              [signal, stopTimeoutMs],
              ['SIGKILL', 5_000],
            ],
      );
    },
  };
}

function startNginx({
  nginxBin,
  prefix,
  log,
  readyTimeoutMs,
  onExit,
}: ProcessOptions & { nginxBin: string; prefix: string }): NginxProcess {
  const proc = spawnManaged({
    name: 'nginx',
    command: nginxBin,
    // -e stderr: don't touch the compiled-in /var/log/nginx/error.log before the config is read.
    args: ['-p', `${prefix}/`, '-c', path.join(prefix, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off;'],
    env: process.env,
    log,
    onExit,
  });
  return {
    process: proc.child,
    logs: () => [...proc.tail],
    accessLog: path.join(prefix, 'access.log'),
    ready: (url) => waitForHttpOk(url, proc, readyTimeoutMs),
    // SIGTERM = nginx's fast shutdown. Its graceful SIGQUIT would wait (up to
    // worker_shutdown_timeout) for in-flight long-polls and WebSockets, which
    // only slows tests down: the instances drain their own clients anyway.
    // SIGKILL only as a last resort and to the whole group: a killed master leaves its workers behind.
    stop: () =>
      terminate(proc, [
        ['SIGTERM', 5_000],
        ['SIGKILL', 3_000],
      ]),
  };
}

/** Temp nginx prefix: nginx.conf -> deploy/nginx.conf, plus the two generated includes. */
async function writeNginxPrefix(ports: number[], lbPort: number): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chat-cluster-'));
  livePrefixes.add(dir);
  // mkdtemp gives 0700; nginx workers (an unprivileged user when started as
  // root) must traverse it to reach client_body_temp/proxy_temp.
  await chmod(dir, 0o755);
  // A symlink, not a copy: relative includes resolve against the symlink's
  // directory, and the config is guaranteed to be the one compose uses.
  await symlink(NGINX_CONF, path.join(dir, 'nginx.conf'));
  const servers = ports.map((p) => `server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`);
  await writeFile(
    path.join(dir, 'chat-upstream.conf'),
    `# generated by scripts/cluster.ts\n# short fail_timeout: a restarted instance gets traffic again within 2s\n${servers.join('\n')}\n`,
  );
  await writeFile(
    path.join(dir, 'chat-server.conf'),
    [
      '# generated by scripts/cluster.ts',
      `listen 127.0.0.1:${lbPort};`,
      '# relative to the prefix; not /dev/stdout, which nginx cannot open() when it is a socket',
      'access_log access.log chat;',
      '# local/test only: lets tests see which instance served a request',
      'add_header X-Upstream-Addr $upstream_addr always;',
      '',
    ].join('\n'),
  );
  return dir;
}

// ---------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------

/**
 * Spawn a child in its own process group (detached) so that Ctrl+C in the
 * terminal reaches only this script, which then stops children in order, and
 * so SIGKILL can take a whole group (nginx master + workers) at once.
 */
function spawnManaged({
  name,
  command,
  args,
  env,
  log,
  onExit,
}: {
  name: string;
  command: string;
  args: string[];
  env: Env;
  log: Log;
  onExit?: ClusterOptions['onExit'];
}): ManagedProcess {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let closedNow: () => void = () => {};
  const closed = new Promise<void>((resolve) => (closedNow = resolve));
  const proc: ManagedProcess = { name, child, tail: [], exitInfo: null, expectedExit: false, closed };
  liveProcs.add(proc);

  const onLine = (line: string) => {
    proc.tail.push(line);
    if (proc.tail.length > LOG_TAIL_LINES) {
      proc.tail.shift();
    }
    log(`${pad(name)} | ${line}`);
  };
  readline.createInterface({ input: child.stdout }).on('line', onLine);
  readline.createInterface({ input: child.stderr }).on('line', onLine);

  const finish = (info: ExitInfo) => {
    if (proc.exitInfo) {
      return;
    }
    proc.exitInfo = info;
    liveProcs.delete(proc);
    if (proc.expectedExit) {
      log(`${pad(name)} | stopped (${describeExit(info)})`);
    } else {
      log(`${pad(name)} | exited unexpectedly (${describeExit(info)})`);
      onExit?.(name, info);
    }
    // Wait for stdio to drain so the last lines land in the tail, but never hang on it.
    const timer = setTimeout(closedNow, 1_000);
    child.once('close', () => {
      clearTimeout(timer);
      closedNow();
    });
  };
  child.once('exit', (code, signal) => finish({ code, signal }));
  child.once('error', (error) => finish({ code: null, signal: null, error }));
  return proc;
}

/** Send signals in order, waiting up to `ms` after each, until the process is gone. */
async function terminate(proc: ManagedProcess, steps: StopSteps): Promise<ExitInfo | null> {
  proc.expectedExit = true;
  for (const [signal, ms] of steps) {
    if (proc.exitInfo) {
      break;
    }
    sendSignal(proc, signal);
    if (await within(proc.closed, ms)) {
      break;
    }
  }
  await within(proc.closed, 1_000);
  return proc.exitInfo;
}

function sendSignal(proc: ManagedProcess, signal: NodeJS.Signals): void {
  try {
    if (signal === 'SIGKILL') {
      killGroup(proc.child);
    } else {
      proc.child.kill(signal);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') {
      throw err;
    }
  }
}

/** SIGKILL to the child's whole process group (a child that never spawned has none). */
function killGroup(child: ChildProcess): void {
  if (child.pid !== undefined) {
    process.kill(-child.pid, 'SIGKILL');
  }
}

/** Last-resort cleanup on process exit (synchronous: nothing async runs in 'exit'). */
function killEverythingNow() {
  for (const proc of liveProcs) {
    try {
      killGroup(proc.child);
    } catch {
      // already gone
    }
  }
  for (const dir of livePrefixes) {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// Readiness and ports
// ---------------------------------------------------------------------------

async function waitForHttpOk(url: string, proc: ManagedProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (proc.exitInfo) {
      await within(proc.closed, 1_000);
      throw startError(`${proc.name} exited before ${url} was ready (${describeExit(proc.exitInfo)})`, proc);
    }
    try {
      const status = await httpStatus(url, 2_000);
      if (status === 200) {
        return;
      }
      last = `HTTP ${status}`;
    } catch (err) {
      const { code, message } = err as NodeJS.ErrnoException;
      last = code ?? message;
    }
    await sleep(POLL_INTERVAL_MS);
  }
  throw startError(
    `${proc.name} not ready: ${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`,
    proc,
  );
}

/** One GET without keep-alive (a pooled socket to a killed instance would only confuse the probe). */
function httpStatus(url: string, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
  });
}

async function pickInstancePorts(basePort: number, count: number): Promise<number[]> {
  if (basePort !== 0) {
    return Array.from({ length: count }, (_, i) => basePort + i);
  }
  const ports: number[] = [];
  while (ports.length < count) {
    const p = await findFreePort();
    if (!ports.includes(p)) {
      ports.push(p);
    }
  }
  return ports;
}

/** A free TCP port on loopback (the OS picks it, we release it right away). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Fail early and by name if something already listens on one of our ports. */
async function assertPortsFree(entries: [port: number, who: string][]): Promise<void> {
  const busy: string[] = [];
  for (const [port, who] of entries) {
    if (await isListening(port)) {
      busy.push(`${port} (${who})`);
    }
  }
  if (busy.length) {
    throw new Error(`port(s) already in use: ${busy.join(', ')} — is another cluster running?`);
  }
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.setTimeout(1_000);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('timeout', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

// ---------------------------------------------------------------------------
// Environment and database
// ---------------------------------------------------------------------------

/** process.env, then `extra`; DATABASE_URL, REDIS_URL and AUTH_SECRET always end up set. */
function buildEnv(
  extra: Env | undefined,
  say: Log,
): Env & Record<keyof typeof DEV_ENV | 'AUTH_SECRET', string> {
  const env: Env = { ...process.env, ...withoutUndefined(extra ?? {}) };
  for (const [key, value] of Object.entries(DEV_ENV)) {
    env[key] ??= value;
  }
  if (!env.AUTH_SECRET) {
    say('WARNING: AUTH_SECRET not set; using a fixed development secret (never use this in production)');
    env.AUTH_SECRET = DEV_AUTH_SECRET;
  }
  return env as Env & Record<keyof typeof DEV_ENV | 'AUTH_SECRET', string>;
}

/**
 * SIGTERM grace before SIGKILL: what the app may take, its drain
 * (SHUTDOWN_TIMEOUT_MS, 10 s unless set) and the 5 s after which it gives
 * up, and at least 10 s.
 */
function defaultStopTimeout(env: Env): number {
  const drainMs = env.SHUTDOWN_TIMEOUT_MS ? Number(env.SHUTDOWN_TIMEOUT_MS) : 10_000;
  return Number.isFinite(drainMs) ? Math.max(10_000, drainMs + 5_000) : 15_000;
}

/** Create the database named in DATABASE_URL if it is missing (the app only migrates). */
async function prepareDatabase(databaseUrl: string, say: Log): Promise<void> {
  const dbName = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  if (!dbName) {
    return; // no name: the server's default database for the user
  }
  // Another cluster (parallel test suite) may create it at the same time; that is fine.
  if (await ensureDatabase(databaseUrl)) {
    say(`created database "${dbName}"`);
  }
}

function resolveEntry(entry: string | undefined): string {
  const candidates = entry ? [entry] : ENTRY_CANDIDATES;
  const found = candidates.map((c) => path.resolve(REPO_ROOT, c)).find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `app entry not found (looked for ${candidates.join(', ')} under ${REPO_ROOT}); run \`npm run build\` first`,
    );
  }
  return found;
}

/** PATH lookup, plus the sbin dirs that a non-root PATH often lacks (Debian puts nginx there). */
function findExecutable(name: string): string | null {
  if (name.includes('/')) {
    return existsSync(name) ? name : null;
  }
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) {
      return candidate;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

const NAME_WIDTH = 7;
const pad = (name: string) => name.padEnd(NAME_WIDTH);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const defaultLog: Log = (line) => process.stdout.write(`${line}\n`);

/** Resolves true if `promise` settles within `ms`, false otherwise. */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(() => true),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms))),
  ]).finally(() => clearTimeout(timer));
}

/** `obj` without its undefined properties, so that spreading it keeps the defaults under them. */
function withoutUndefined<T extends object>(obj: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

function assertCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min}, got ${value}`);
  }
}

function describeExit({ code, signal, error }: ExitInfo): string {
  if (error) {
    return `failed to spawn: ${error.message}`;
  }
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

function startError(message: string, proc: ManagedProcess): Error {
  const tail = proc.tail.length ? proc.tail.join('\n') : '(no output)';
  return new Error(`${message}\n--- last ${proc.tail.length} log lines of ${proc.name} ---\n${tail}`);
}

function combineErrors(errors: Error[]): Error {
  return errors.length === 1 ? errors[0] : new Error(errors.map((e) => e.message).join('\n\n'));
}

/** A rejection reason as an Error (ours are always Errors already). */
function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

// ---------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------

const USAGE = `usage: tsx scripts/cluster.ts [--instances N] [--port LB_PORT] [--base-port PORT] [--entry FILE] [--redis-cluster]

Starts N instances of the app (PORT=base-port+i) behind nginx (deploy/nginx.conf)
on 127.0.0.1:LB_PORT. Ctrl+C stops everything. Port 0 picks free ports.
--redis-cluster: first starts a three-master Redis Cluster from local
redis-server processes on free ports and gives the instances its
REDIS_URL (redis+cluster://…).
Env: DATABASE_URL, REDIS_URL, AUTH_SECRET, CORS_ORIGINS, ... are passed through
(local defaults for the first three); CLUSTER_ENTRY, NGINX_BIN.`;

function parseCli() {
  try {
    return parseArgs({
      options: {
        instances: { type: 'string' },
        port: { type: 'string' },
        'base-port': { type: 'string' },
        entry: { type: 'string' },
        'redis-cluster': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const args = parseCli();
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));

  let shuttingDown = false;
  let cluster: Cluster | null = null;
  const shutdown = (reason: string, exitCode: number) => {
    if (shuttingDown) {
      console.error(`${pad('cluster')} | ${reason} again: killing everything`);
      process.exit(1); // the 'exit' handler SIGKILLs the process groups
    }
    shuttingDown = true;
    console.log(`${pad('cluster')} | ${reason}: stopping (repeat to force)`);
    stopAllClusters().then(
      () => process.exit(exitCode),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT', 0));
  process.on('SIGTERM', () => shutdown('SIGTERM', 0));

  let redisCluster: LocalRedisCluster | null = null;
  if (args['redis-cluster']) {
    redisCluster = await startRedisCluster(3);
    const nodes = redisCluster;
    process.on('exit', () => nodes.nodes.forEach((n) => void n.kill()));
    console.log(`${pad('cluster')} | Redis Cluster up: ${redisCluster.url}`);
  }

  try {
    cluster = await startCluster({
      ...(redisCluster && { env: { REDIS_URL: redisCluster.url } }),
      instances: num(args.instances),
      port: num(args.port),
      basePort: num(args['base-port']),
      entry: args.entry,
      // A dead instance is only reported (nginx routes around it); a dead LB makes the cluster useless.
      onExit: (name) => {
        if (name === 'nginx' && cluster && !shuttingDown) {
          shutdown('nginx exited', 1);
        }
      },
    });
  } catch (err) {
    if (shuttingDown) {
      return;
    } // interrupted during startup; shutdown() exits
    console.error(`\n${pad('cluster')} | failed to start: ${(err as Error).message}`);
    process.exit(1);
  }
  printSummary(cluster);
}

function printSummary(cluster: Cluster): void {
  const lines = [
    '',
    `cluster up: ${cluster.instances.length} instance(s)`,
    ...cluster.instances.map((i) => `  ${pad(i.name)} ${i.url}  pid ${i.process?.pid}`),
    `  ${pad('nginx')} ${cluster.lbUrl}  pid ${cluster.nginx?.process.pid}  access log ${cluster.nginx?.accessLog}`,
    // Per instance: behind nginx one scrape would land on any of them.
    'metrics (Prometheus text, each instance):',
    ...cluster.instances.map((i) => `  ${pad(i.name)} ${i.url}/metrics`),
    `API documents: ${cluster.lbUrl}/docs (OpenAPI), ${cluster.lbUrl}/asyncapi (AsyncAPI)`,
    `load balancer: ${cluster.lbUrl}   (Ctrl+C to stop)`,
    '',
  ];
  console.log(lines.join('\n'));
}

function isMainModule(): boolean {
  if (!process.argv[1]) {
    return false;
  }
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainModule()) {
  await main();
}
