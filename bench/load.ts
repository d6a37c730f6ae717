// Open-loop load: send i is due at t0 + i/rate whatever the server does (never
// waits for acks), so a slow server shows up as latency and errors, not as a
// quietly lower offered load. Every message_created is checked against the
// room's membership: each member, sender included, must get it exactly once.
import crypto from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Samples, round } from './stats.js';
import { cpuSnapshot, cpuDelta, type CpuSnapshot, type CpuUsage } from './cpu.js';
import {
  countOutcomes,
  judgeRun,
  popcount,
  type CpuGroup,
  type LoadResult,
  type Second,
} from './load-result.js';
import type { Ack, Member, ReceivedMessage } from './clients.js';

const MAX_BATCH_MS = 4; // longest stretch of sends before yielding to socket I/O
// The histogram records the interval between its own timer ticks, so an idle loop
// reads ~ELD_RESOLUTION_MS; subtract it to get the extra delay.
const ELD_RESOLUTION_MS = 10;

export interface LoadOptions {
  /** Offered messages per second. */
  rate: number;
  durationS: number;
  warmupS: number;
  drainS: number;
  messageBytes: number;
  /** The pids of each group, asked again at each CPU snapshot. */
  cpuGroups: Record<CpuGroup, () => number[]>;
  /** Called as the measured window opens (the first message after the warm-up) and closes (the last one sent). */
  window?: { open(): void; close(): void };
  log?: (m: string) => void;
}

/**
 * users: each in exactly one room ({ id, members }), at position `pos` in it.
 * Returns a plain result object (see report.ts for the fields that are printed).
 */
export async function runLoad(
  users: Member[],
  { rate, durationS, warmupS, drainS, messageBytes, cpuGroups, window, log = () => {} }: LoadOptions,
): Promise<LoadResult> {
  const warmupN = Math.round(rate * warmupS);
  const total = warmupN + Math.round(rate * durationS);
  const periodMs = 1000 / rate;
  const content = 'x'.repeat(messageBytes);

  // Per-message state in typed arrays indexed by send number (cheap at 10^5 messages).
  const ids = new Array<string>(total);
  const idToIdx = new Map<string | undefined, number>();
  const sched = new Float64Array(total);
  const sent = new Float64Array(total);
  const ackAt = new Float64Array(total);
  const ackState = new Uint8Array(total); // 0 pending, 1 success, 2 error
  const gotMask = new Uint32Array(total); // bit = member position inside the room
  const sender = new Array<Member>(total);

  const s = {
    ackFromSched: new Samples(total),
    ackFromSend: new Samples(total),
    delFromSched: new Samples(total * 4),
    delFromSend: new Samples(total * 4),
    sendLag: new Samples(total),
  };
  const c = {
    sent: 0,
    acked: 0,
    ackOk: 0,
    ackErr: 0,
    errors: {} as Record<string, number>,
    badAck: 0,
    delivered: 0,
    duplicates: 0,
    unknown: 0,
    misrouted: 0,
    corrupt: 0,
    seqInversions: 0,
    disconnects: 0,
    sentWhileDisconnected: 0,
    okInWindow: 0,
    deliveredInWindow: 0, // counted while the measured window is open
  };
  let outstanding = 0; // deliveries still expected for messages not rejected
  const timeline: Second[] = []; // per second since t0
  const bucket = (t: number) =>
    (timeline[Math.floor((t - t0) / 1000)] ??= { sent: 0, ackOk: 0, delivered: 0 });

  // Receiving side. Each user sits in one room, so `pos` is its bit in gotMask.
  const lastSeq = new Map<string, number>();
  const detach: (() => void)[] = [];
  for (const u of users) {
    const onMsg = (ev: { message?: ReceivedMessage } | undefined) => {
      const now = performance.now();
      const m = ev?.message;
      const i = idToIdx.get(m?.messageId);
      if (i === undefined) {
        return void c.unknown++;
      }
      if (sender[i].room !== u.room) {
        return void c.misrouted++;
      }
      if (m?.roomId !== u.room.id || m.senderId !== sender[i].id) {
        c.corrupt++;
      }
      const bit = 1 << u.pos;
      if (gotMask[i] & bit) {
        return void c.duplicates++;
      }
      gotMask[i] |= bit;
      c.delivered++;
      if (ackState[i] !== 2) {
        outstanding--;
      }
      bucket(now).delivered++;
      if (now >= tMeasure && !tEndSend) {
        c.deliveredInWindow++;
      }
      // Informational: with concurrent senders a room's seq order can legitimately differ
      // from send order, but each receiver should see seq increase.
      if (typeof m?.seq === 'number') {
        if (m.seq <= (lastSeq.get(u.id) ?? -Infinity)) {
          c.seqInversions++;
        }
        lastSeq.set(u.id, m.seq);
      }
      if (i >= warmupN) {
        s.delFromSched.push(now - sched[i]);
        s.delFromSend.push(now - sent[i]);
      }
    };
    const onDisc = () => c.disconnects++;
    u.socket.on('message_created', onMsg);
    u.socket.on('disconnect', onDisc);
    detach.push(() => {
      u.socket.off('message_created', onMsg);
      u.socket.off('disconnect', onDisc);
    });
  }

  const onAck = (i: number, ack: Ack | undefined) => {
    const now = performance.now();
    ackAt[i] = now;
    c.acked++;
    if (ack?.status === 'success') {
      ackState[i] = 1;
      c.ackOk++;
      bucket(now).ackOk++;
      if (now >= tMeasure && !tEndSend) {
        c.okInWindow++;
      }
      if (ack.message?.messageId !== ids[i] || ack.message?.roomId !== sender[i].room.id) {
        c.badAck++;
      }
    } else {
      ackState[i] = 2;
      c.ackErr++;
      const code = ack?.error?.code ?? 'malformed_ack';
      c.errors[code] = (c.errors[code] ?? 0) + 1;
      // A rejected message is not expected anywhere; stop waiting for it.
      outstanding -= sender[i].room.members.length - popcount(gotMask[i]);
    }
    if (i >= warmupN) {
      s.ackFromSched.push(now - sched[i]);
      s.ackFromSend.push(now - sent[i]);
    }
  };

  // Senders: random members, but drawn as a fresh random permutation of all users
  // per cycle, so every user sends equally often (keeps each user under any
  // per-user rate limit at the same offered rate) while the order stays random.
  let perm: Member[] = [];
  const senderFor = (i: number) => {
    const k = i % users.length;
    if (k === 0) {
      perm = shuffle(users.slice());
    }
    return perm[k];
  };

  const send = (i: number) => {
    const u = senderFor(i);
    const id = crypto.randomUUID();
    ids[i] = id;
    idToIdx.set(id, i);
    sender[i] = u;
    sched[i] = t0 + i * periodMs;
    if (!u.socket.connected) {
      c.sentWhileDisconnected++;
    }
    outstanding += u.room.members.length;
    u.socket.emit('create_message', { roomId: u.room.id, messageId: id, content }, (ack: Ack | undefined) =>
      onAck(i, ack),
    );
    const now = performance.now();
    sent[i] = now;
    c.sent++;
    bucket(now).sent++;
    if (i >= warmupN) {
      s.sendLag.push(now - sched[i]);
    }
  };

  const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  let cpuStart: CpuSnapshot<CpuGroup> | null = null;
  let tEndSend = 0;
  const t0 = performance.now() + 50;
  const tMeasure = t0 + warmupN * periodMs;
  log(`offering ${rate} msg/s for ${warmupS}s warm-up + ${durationS}s measured (${total} messages)`);

  const cpu = await new Promise<CpuUsage<CpuGroup>>((resolve) => {
    let next = 0;
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - t0) * rate) / 1000) + 1);
      const batchEnd = now + MAX_BATCH_MS;
      while (next < due) {
        if (next === warmupN) {
          // Measured window starts: CPU counters and loop-delay histogram from here.
          cpuStart = cpuSnapshot(cpuGroups);
          eld.enable();
          window?.open();
        }
        send(next++);
        if ((next & 15) === 0 && performance.now() > batchEnd) {
          break;
        }
      }
      if (next >= total) {
        tEndSend = performance.now();
        // cpuStart is set when send warmupN goes out, and warmupN < total (duration > 0).
        const end = cpuSnapshot(cpuGroups);
        eld.disable();
        window?.close();
        return resolve(cpuDelta(cpuStart ?? end, end));
      }
      // Behind schedule: yield only to pending I/O, then catch up. Otherwise sleep until due.
      if (next < due) {
        setImmediate(tick);
      } else {
        setTimeout(tick, Math.max(0, t0 + next * periodMs - performance.now()));
      }
    };
    setTimeout(tick, Math.max(0, t0 - performance.now()));
  });

  // Drain: wait for outstanding acks and deliveries, bounded.
  const drainDeadline = performance.now() + drainS * 1000;
  while ((outstanding > 0 || c.acked < c.sent) && performance.now() < drainDeadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const drainMs = performance.now() - tEndSend;
  for (const d of detach) {
    d();
  }

  // Final accounting over every message (warm-up included: correctness is not sampled).
  const { missing, missingMessages, noAck, rejectedButDelivered } = countOutcomes(sender, gotMask, ackState);
  // The last send is due one period before the window ends; a late generator stretches it.
  const windowS = Math.max(durationS, (tEndSend - tMeasure) / 1000);
  const roomSize = users[0].room.members.length;

  const extra = (ns: number) => round(Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS));
  const loopDelay = { p50: extra(eld.percentile(50)), p99: extra(eld.percentile(99)), max: extra(eld.max) };
  const sendLag = s.sendLag.summary();
  const { flags, generatorLimited, failReasons } = judgeRun({
    cpu,
    loopDelay,
    sendLag,
    deliveryP99: s.delFromSched.summary().p99,
    missing,
    duplicates: c.duplicates,
    errorAcks: c.ackErr,
    noAck,
    misdelivered: c.misrouted + c.unknown + c.corrupt + c.badAck + rejectedButDelivered,
  });
  const pass = failReasons.length === 0;

  return {
    offeredRate: rate,
    roomSize,
    users: users.length,
    messages: { total, warmup: warmupN, measured: total - warmupN, ackedInWindow: c.okInWindow },
    throughput: {
      offeredPerSec: round((total - warmupN) / durationS, 1),
      sentPerSec: round((c.sent - warmupN) / windowS, 1),
      // Success acks / deliveries that arrived while the measured window was open.
      achievedMsgsPerSec: round(c.okInWindow / windowS, 1),
      deliveriesPerSec: round(c.deliveredInWindow / windowS, 1),
      expectedDeliveriesPerSec: round(((total - warmupN) / durationS) * roomSize, 1),
    },
    latencyMs: {
      ack: s.ackFromSched.summary(),
      ackFromSend: s.ackFromSend.summary(),
      delivery: s.delFromSched.summary(),
      deliveryFromSend: s.delFromSend.summary(),
      sendLag,
    },
    correctness: {
      expectedDeliveries: (total - c.ackErr) * roomSize,
      delivered: c.delivered,
      missing,
      missingMessages,
      duplicates: c.duplicates,
      noAck,
      errorAcks: c.ackErr,
      errorsByCode: c.errors,
      rejectedButDelivered,
      unknownMessages: c.unknown,
      misrouted: c.misrouted,
      corruptPayloads: c.corrupt,
      badAcks: c.badAck,
      seqInversions: c.seqInversions,
      disconnects: c.disconnects,
      sentWhileDisconnected: c.sentWhileDisconnected,
    },
    drainMs: Math.round(drainMs),
    cpuPercentOfCore: cpu,
    generator: { loopDelayMs: loopDelay, limited: generatorLimited },
    flags,
    pass,
    failReasons,
    timeline,
  };
}

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
