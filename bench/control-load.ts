// The scaling benchmark's control: fixed CPU work per event, at the same
// total event rate as the chat's deliveries, spread over N processes, with
// the rest of the machine kept as busy as everything but the instances kept
// it in the chat's run (Postgres, Redis, the generator, the kernel's
// loopback work). Its work cannot depend on N, so whatever its CPU per
// event does from 2 to 6 processes is the machine's doing (caches and
// wake-ups shared by more processes on the same cores), measured in the
// same run as the chat.
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSnapshot, groupSeconds } from './cpu.js';

export interface ControlRun {
  processes: number;
  rate: number;
  /** Work units per event (see control-worker.ts). */
  units: number;
  /** Cores kept busy beside the workers (control-burner.ts), as asked and as used. */
  background: { asked: number; used: number };
  events: number;
  cpuSeconds: number;
}

/** How the units were chosen: the target, and the fitted cost of an event (fixed + per unit). */
export interface ControlCalibration {
  units: number;
  targetMicros: number;
  fixedMicros: number;
  perUnitMicros: number;
  /** True when the target is below what an event of one unit costs. */
  clamped: boolean;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const workerPath = path.join(here, 'control-worker.ts');
const burnerPath = path.join(here, 'control-burner.ts');

/**
 * Forks `file` (with this process's tsx loader), registers it for
 * stopping, and answers its first message: it sends one once started, so
 * its start-up stays out of what is measured.
 */
async function startChild(
  file: string,
  args: string[],
  stops: (() => void)[],
): Promise<[ChildProcess, unknown]> {
  const child = fork(file, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  stops.push(() => child.kill());
  const first = await new Promise<unknown>((resolve, reject) => {
    child.once('message', resolve);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${path.basename(file)} exited (${code})`)));
  });
  return [child, first];
}

/** A worker process and a connection to it. */
async function startWorker(
  units: number,
  stops: (() => void)[],
): Promise<{ child: ChildProcess; socket: net.Socket }> {
  const [child, port] = await startChild(workerPath, [String(units)], stops);
  const socket = net.connect(Number(port), '127.0.0.1');
  stops.push(() => socket.destroy());
  socket.setNoDelay(true);
  socket.resume(); // the echoes only keep the exchange a request and a reply
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return { child, socket };
}

/** Burners for `cores` of background load, none busier than 90 % of a core. */
async function startBurners(cores: number, stops: (() => void)[]): Promise<ChildProcess[]> {
  const count = Math.ceil(cores / 0.9);
  const started = await Promise.all(
    Array.from({ length: count }, () => startChild(burnerPath, [String(cores / count)], stops)),
  );
  return started.map(([child]) => child);
}

/** Offers `rate` events/s in total, round robin over `processes` workers, for `seconds`. */
export async function runControl(
  processes: number,
  rate: number,
  seconds: number,
  units: number,
  backgroundCores: number,
): Promise<ControlRun> {
  // Everything started is stopped, whatever fails on the way.
  const stops: (() => void)[] = [];
  try {
    const workers = await Promise.all(Array.from({ length: processes }, () => startWorker(units, stops)));
    const burners = await startBurners(backgroundCores, stops);
    const group = {
      control: () => workers.map((w) => w.child.pid!),
      background: () => burners.map((b) => b.pid!),
    };
    const before = cpuSnapshot(group);
    const start = performance.now();
    let events = 0;
    await new Promise<void>((done) => {
      const tick = () => {
        const elapsed = performance.now() - start;
        for (
          const due = Math.floor((Math.min(elapsed, seconds * 1000) / 1000) * rate);
          events < due;
          events++
        ) {
          workers[events % processes].socket.write('e');
        }
        if (elapsed < seconds * 1000) {
          setTimeout(tick, 1);
        } else {
          done();
        }
      };
      tick();
    });
    await new Promise((resolve) => setTimeout(resolve, 500)); // the last events' work
    const after = cpuSnapshot(group);
    const measuredS = (after.at - before.at) / 1000;
    const background = {
      asked: backgroundCores,
      used: groupSeconds(before, after, 'background') / measuredS,
    };
    return { processes, rate, units, background, events, cpuSeconds: groupSeconds(before, after, 'control') };
  } finally {
    stops.reverse().forEach((stop) => stop());
  }
}

/**
 * The work units per event that make an event cost about `micros` of CPU
 * on `processes` processes at `rate` (with that background), so the control
 * loads the machine as the service's instances did at that size. An event
 * has a fixed cost besides its units (the wake-up, a read and a write): two
 * probes fit both, after a first one that is thrown away (it runs as the
 * chat's step has just ended).
 */
export async function calibrateControl(
  processes: number,
  rate: number,
  backgroundCores: number,
  micros: number,
): Promise<ControlCalibration> {
  const probe = async (units: number) => {
    const run = await runControl(processes, rate, 3, units, backgroundCores);
    return (run.cpuSeconds * 1e6) / run.events;
  };
  const [few, many] = [2, 12];
  await probe(few);
  const [atFew, atMany] = [await probe(few), await probe(many)];
  const perUnitMicros = Math.max((atMany - atFew) / (many - few), 1);
  const fixedMicros = Math.max(atFew - few * perUnitMicros, 0);
  const exact = (micros - fixedMicros) / perUnitMicros;
  const units = Math.max(1, Math.round(exact));
  return { units, targetMicros: micros, fixedMicros, perUnitMicros, clamped: exact < 0.5 };
}
