// GET /rooms for a user in many long rooms (§6: unread counts must come from
// seq arithmetic, never from scanning a room's history). The rooms are written
// straight into Postgres, as many messages as a year of heavy use; the same
// call for a user with one short room, in the same database and run, is the
// baseline the figure is compared with.
import pg from 'pg';
import type { Instances } from './instances.js';
import { Samples, type Summary } from './stats.js';

export interface RoomListResult {
  rooms: number;
  messagesPerRoom: number;
  seedMs: number;
  /** GET /rooms latency in ms for the user with `rooms` rooms, and for the baseline user with one. */
  large: Timing;
  baseline: Timing;
}

type Timing = Summary & { bytes: number };

interface SignedUp {
  id: string;
  token: string;
}

async function signUp(url: string, name: string): Promise<SignedUp> {
  const response = await fetch(`${url}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (response.status !== 201) {
    throw new Error(`sign-up failed: ${response.status}`);
  }
  return (await response.json()) as SignedUp;
}

/** `count` rooms of `reader` and `other`, `messages` messages each, unread by the reader. */
async function seed(
  db: pg.Client,
  prefix: string,
  reader: SignedUp,
  other: SignedUp,
  count: number,
  messages: number,
) {
  await db.query(
    `INSERT INTO rooms (id, last_seq, last_rev, last_activity_at)
     SELECT $1 || r, $2, $2, now() - r * interval '1 second' FROM generate_series(1, $3) AS r`,
    [prefix, messages, count],
  );
  await db.query(
    `INSERT INTO room_participants (room_id, user_id)
     SELECT $1 || r, u FROM generate_series(1, $2) AS r, unnest($3::text[]) AS u`,
    [prefix, count, [reader.id, other.id]],
  );
  // One room per statement keeps each transaction's WAL and memory small.
  for (let r = 1; r <= count; r++) {
    await db.query(
      `INSERT INTO messages (message_id, room_id, seq, rev, sender_id, content, created_at)
       SELECT 'seed-' || s, $1, s, s, $2, 'message number ' || s, now() FROM generate_series(1, $3) AS s`,
      [`${prefix}${r}`, other.id, messages],
    );
  }
}

async function timeRoomList(url: string, user: SignedUp, samples: number): Promise<Timing> {
  const latencies = new Samples();
  let bytes = 0;
  for (let i = 0; i < samples + 3; i++) {
    const started = performance.now();
    const response = await fetch(`${url}/rooms`, { headers: { authorization: `Bearer ${user.token}` } });
    const body = await response.text();
    if (response.status !== 200) {
      throw new Error(`GET /rooms answered ${response.status}`);
    }
    if (i >= 3) {
      latencies.push(performance.now() - started); // the first three warm the plan cache and the JIT
    }
    bytes = body.length;
  }
  return { ...latencies.summary(), bytes };
}

export async function measureRoomList(
  inst: Instances,
  {
    rooms,
    messagesPerRoom,
    samples = 30,
    log,
  }: { rooms: number; messagesPerRoom: number; samples?: number; log: (m: string) => void },
): Promise<RoomListResult> {
  const url = inst.urls[0];
  const [reader, other, baselineReader] = await Promise.all(
    ['reader', 'other', 'baseline reader'].map((name) => signUp(url, name)),
  );
  const db = new pg.Client({ connectionString: inst.databaseUrl });
  await db.connect();
  const started = performance.now();
  try {
    log(`room list: seeding ${rooms} rooms × ${messagesPerRoom} messages`);
    await seed(db, 'room_bench_many_', reader, other, rooms, messagesPerRoom);
    await seed(db, 'room_bench_one_', baselineReader, other, 1, messagesPerRoom);
    await db.query('ANALYZE');
  } finally {
    await db.end();
  }
  const seedMs = Math.round(performance.now() - started);
  log(`room list: seeded in ${(seedMs / 1000).toFixed(0)} s; timing GET /rooms`);
  const large = await timeRoomList(url, reader, samples);
  const baseline = await timeRoomList(url, baselineReader, samples);
  return { rooms, messagesPerRoom, seedMs, large, baseline };
}

export function roomListTable(r: RoomListResult): string {
  const row = (who: string, t: Timing) =>
    `| ${who} | ${t.p50} | ${t.p95} | ${t.max} | ${(t.bytes / 1024).toFixed(0)} KiB |`;
  return [
    `GET /rooms, ${r.messagesPerRoom.toLocaleString('en')} messages per room, none read (one instance, warm):`,
    '| user | p50 ms | p95 ms | max ms | body |',
    '| --- | --- | --- | --- | --- |',
    row(`${r.rooms.toLocaleString('en')} rooms`, r.large),
    row('1 room (baseline)', r.baseline),
    `p50 ratio ${(r.large.p50! / r.baseline.p50!).toFixed(1)}× the one-room baseline, for ${r.rooms}× the rooms.`,
  ].join('\n');
}
