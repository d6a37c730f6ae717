// Types for scripts/cluster.mjs, so TypeScript tests can import it:
//   import { startCluster } from '../scripts/cluster.mjs';
import type { ChildProcess } from 'node:child_process';

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
  env?: Record<string, string | undefined>;
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

export function startCluster(options?: ClusterOptions): Promise<Cluster>;
export function stopAllClusters(): Promise<void>;
/** A free TCP port on loopback (the OS picks it, the caller binds it next). */
export function findFreePort(): Promise<number>;
