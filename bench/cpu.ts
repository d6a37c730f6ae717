// CPU accounting from /proc, so a result says who used the machine's 2 cores:
// the generator (this process), the server instances, Postgres, Redis, and
// "other" (anything else: a noisy neighbour makes the run suspect).
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticksPerSec = 100;
try {
  ticksPerSec = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
} catch {
  /* Linux default */
}

/** utime+stime of a pid in seconds, or null if it is gone. */
function procCpuSec(pid: number | string): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces, so split after the closing paren.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / ticksPerSec; // fields 14 and 15
  } catch {
    return null;
  }
}

/** Pids whose /proc/<pid>/comm equals one of the names (postgres backends keep comm "postgres"). */
export function pidsByComm(names: string[]): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) {
      continue;
    }
    try {
      if (names.includes(fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim())) {
        out.push(Number(d));
      }
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/**
 * Postgres processes that work for this run: the postmaster, its background
 * processes, and client backends of database `db` only. Backends of other databases
 * (other people's tests on the same server) are left out, so they count as "other".
 * Backend titles look like "postgres: 15/main: <user> <db> 127.0.0.1(40312) idle".
 */
export function postgresPids(db: string): number[] {
  return pidsByComm(['postgres']).filter((pid) => {
    let cmd: string;
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      return false;
    }
    const m = cmd.match(/^postgres: [^:]+: (\S+) (\S+) (\S+\(\d+\)|\[local\])/);
    return !m || m[2] === db;
  });
}

interface MachineJiffies {
  busy: number;
  total: number;
  irq: number;
  cpus: number;
}

/** Per group, per pid (as a string key), CPU seconds used so far. */
type GroupCpu<G extends string> = Record<G, Record<string, number>>;

export interface CpuSnapshot<G extends string> {
  at: number;
  groups: GroupCpu<G>;
  /** Every other process, by pid. */
  all: Record<string, number>;
  /** This process's CPU seconds. */
  gen: number;
  machine: MachineJiffies;
}

export interface OtherProcess {
  pid: number;
  name: string;
  pct: number;
}

/** Percent of one core (100 = one full core) per group and for the rest; see cpuDelta. */
export type CpuUsage<G extends string> = { seconds: number; cores: number; generator: number } & Record<
  G,
  number
> & {
    machine: number | null;
    other: number | null;
    kernelIrq: number;
    otherProcesses: number;
    topOther: OtherProcess[];
  };

/** Busy and total jiffies over all cores from /proc/stat. */
function machineJiffies(): MachineJiffies {
  const lines = fs.readFileSync('/proc/stat', 'utf8').split('\n');
  const v = lines[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] || 0); // idle + iowait
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // guest time is already in user
  // irq + softirq: kernel work (loopback TCP is much of it) that no process is charged for.
  // The aggregate line covers every cpuN line, which may be more than this process may use.
  return { busy: total - idle, total, irq: v[5] + v[6], cpus: lines.filter((l) => /^cpu\d/.test(l)).length };
}

/**
 * Snapshot of CPU counters. groups: { name: () => pid[] } re-evaluated per snapshot,
 * so postgres backends that appear mid-run are picked up (counted from their start).
 */
export function cpuSnapshot<G extends string>(groups: Record<G, () => number[]>): CpuSnapshot<G> {
  const g = {} as GroupCpu<G>;
  for (const name of Object.keys(groups) as G[]) {
    const used: Record<string, number> = (g[name] = {});
    for (const pid of groups[name]()) {
      const s = procCpuSec(pid);
      if (s !== null) {
        used[pid] = s;
      }
    }
  }
  // Every other process too, so "other" CPU can name its biggest users.
  const all: Record<string, number> = {};
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) {
      continue;
    }
    const s = procCpuSec(d);
    if (s !== null) {
      all[d] = s;
    }
  }
  const u = process.cpuUsage();
  return { at: performance.now(), groups: g, all, gen: (u.user + u.system) / 1e6, machine: machineJiffies() };
}

/** CPU seconds a group's processes used between two snapshots (a process that appeared meanwhile, from its start). */
export function groupSeconds<G extends string>(a: CpuSnapshot<G>, b: CpuSnapshot<G>, name: G): number {
  let used = 0;
  for (const [pid, s] of Object.entries(b.groups[name])) {
    used += s - (a.groups[name]?.[pid] ?? 0);
  }
  return used;
}

/** Percent of one core used per group between two snapshots (100 = one full core). */
export function cpuDelta<G extends string>(a: CpuSnapshot<G>, b: CpuSnapshot<G>): CpuUsage<G> {
  const secs = (b.at - a.at) / 1000;
  const pct = (v: number) => Math.round((v / secs) * 1000) / 10;
  const cores = b.machine.cpus;
  const generator = pct(b.gen - a.gen);
  let known = generator;
  const groups = {} as Record<G, number>;
  for (const name of Object.keys(b.groups) as G[]) {
    groups[name] = pct(groupSeconds(a, b, name));
    known += groups[name];
  }
  const m = { busy: b.machine.busy - a.machine.busy, total: b.machine.total - a.machine.total };
  const machine = m.total > 0 ? Math.round((m.busy / m.total) * cores * 1000) / 10 : null;
  const other = machine === null ? null : Math.round(Math.max(0, machine - known) * 10) / 10;
  const kernelIrq = pct((b.machine.irq - a.machine.irq) / ticksPerSec);
  // Top other processes (not generator, not a group) by CPU in the window. Only processes
  // alive at the end are seen: short-lived ones (jest workers, tsc) stay in "other" unnamed.
  const mine = new Set(Object.values<Record<string, number>>(b.groups).flatMap((x) => Object.keys(x)));
  const others: OtherProcess[] = [];
  for (const [pid, s] of Object.entries(b.all)) {
    if (mine.has(pid)) {
      continue;
    }
    const used = s - (a.all[pid] ?? 0);
    if (used > 0) {
      others.push({ pid: Number(pid), name: comm(pid), pct: pct(used) });
    }
  }
  const otherProcesses = Math.round(others.reduce((t, p) => t + p.pct, 0) * 10) / 10;
  const topOther = others.sort((x, y) => y.pct - x.pct).slice(0, 3);
  // Groups in the middle: the key order is the JSON output's.
  return {
    seconds: Math.round(secs * 100) / 100,
    cores,
    generator,
    ...groups,
    machine,
    other,
    kernelIrq,
    otherProcesses,
    topOther,
  };
}

function comm(pid: string): string {
  try {
    // cmdline says more than comm ("node" alone tells nothing); NUL-separated.
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    return (cmd || fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).slice(0, 60);
  } catch {
    return '?';
  }
}

/** Resident set size of a pid in bytes (VmRSS), or null. */
export function rssBytes(pid: number): number | null {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)\s+kB/m);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
