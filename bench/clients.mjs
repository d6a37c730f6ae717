// Setup phase: users over HTTP, socket.io-client connections spread over the
// instances, and rooms whose members sit on different instances.
import { createRequire } from 'node:module';

// socket.io-client is a devDependency of the repo; resolve it from the repo root.
const require = createRequire(new URL('../package.json', import.meta.url));
const { io } = require('socket.io-client');

/** Run fn over items with at most `limit` in flight. */
export async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * POST /users `count` times. User i is homed on instance i % urls.length, so that
 * consecutive users (which form a room) alternate between instances.
 */
export async function createUsers(urls, count, { offset = 0, concurrency = 32 } = {}) {
  const idx = Array.from({ length: count }, (_, k) => offset + k);
  return pool(idx, concurrency, async (i) => {
    const url = urls[i % urls.length];
    const res = await fetch(`${url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: `bench-${i}`, avatar: null }),
    });
    const body = await res.json().catch(() => null);
    if (res.status !== 201 || !body?.id || !body?.token) {
      throw new Error(`POST /users -> ${res.status} ${JSON.stringify(body)}`);
    }
    return { index: i, id: body.id, token: body.token, url, socket: null };
  });
}

/**
 * Connect one websocket-only socket per user, `batch` at a time (4,000 at once would
 * stampede the handshake path and time out). Resolves when all are connected.
 */
export async function connectUsers(users, { batch = 200, timeoutMs = 20000, onSocket = () => {} } = {}) {
  for (let s = 0; s < users.length; s += batch) {
    await Promise.all(users.slice(s, s + batch).map((u) => connectOne(u, timeoutMs, onSocket)));
  }
}

function connectOne(u, timeoutMs, onSocket) {
  return new Promise((resolve, reject) => {
    const socket = io(u.url, {
      auth: { token: u.token },
      transports: ['websocket'],
      forceNew: true, // one TCP connection per user, never multiplexed
      reconnection: false, // a drop must show up as a drop, not be papered over
      timeout: timeoutMs,
    });
    u.socket = socket;
    onSocket(u);
    socket.once('connect', resolve);
    socket.once('connect_error', (e) => reject(new Error(`connect ${u.url} as ${u.id}: ${e.message}`)));
  });
}

export function disconnectUsers(users) {
  for (const u of users) u.socket?.disconnect();
}

/**
 * Rooms of `size` consecutive users (so members alternate between instances). The
 * first member creates the room and names the others; the server adds the creator.
 * Waits until every member has seen `room_created`, which also proves cross-instance
 * fan-out works before any load is offered.
 */
export async function createRooms(users, size, { concurrency = 16, timeoutMs = 15000 } = {}) {
  if (size < 3) throw new Error('room size must be >= 3 (rooms of 2 are unique direct rooms)');
  const groups = [];
  for (let s = 0; s + size <= users.length; s += size) groups.push(users.slice(s, s + size));

  // Collect room_created per user before creating anything, so none is missed.
  const seen = new Map(); // roomId -> Set(userId)
  const waiters = new Set();
  const onCreated = (u) => (ev) => {
    const id = ev?.room?.id;
    if (!id) return;
    if (!seen.has(id)) seen.set(id, new Set());
    seen.get(id).add(u.id);
    for (const w of waiters) w();
  };
  const handlers = users.map((u) => {
    const h = onCreated(u);
    u.socket.on('room_created', h);
    return [u, h];
  });

  const rooms = await pool(groups, concurrency, async (members, k) => {
    const [creator, ...others] = members;
    const ack = await creator.socket.timeout(timeoutMs).emitWithAck('create_room', { participants: others.map((m) => m.id) });
    if (ack?.status !== 'success' || !ack.room?.id) throw new Error(`create_room -> ${JSON.stringify(ack)}`);
    const got = new Set((ack.room.participants || []).map((p) => p.id));
    const want = members.map((m) => m.id);
    if (got.size !== want.length || !want.every((id) => got.has(id))) {
      throw new Error(`create_room participants ${[...got]} != ${want}`);
    }
    const room = { index: k, id: ack.room.id, members };
    members.forEach((m, pos) => {
      m.room = room;
      m.pos = pos; // position inside the room, used as a bit index by the tracker
    });
    return room;
  });

  // Every member of every room must have received room_created.
  const complete = () => rooms.every((r) => seen.get(r.id)?.size === r.members.length);
  const deadline = Date.now() + timeoutMs;
  while (!complete() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const [u, h] of handlers) u.socket.off('room_created', h);
  const missingRoomCreated = rooms.reduce((n, r) => n + (r.members.length - (seen.get(r.id)?.size ?? 0)), 0);
  return { rooms, missingRoomCreated };
}
