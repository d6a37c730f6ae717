// Setup phase: users over HTTP, socket.io-client connections spread over the
// instances, and rooms whose members sit on different instances.
// socket.io-client is a devDependency of the repo.
import { io, type Socket } from 'socket.io-client';

/** A user made by createUsers; connectUsers gives it a socket. */
export interface User {
  index: number;
  id: string;
  token: string;
  /** The instance the user is homed on. */
  url: string;
  socket: Socket | null;
}

export interface ConnectedUser extends User {
  socket: Socket;
}

/** A user placed in a room by createRooms. */
export interface Member extends ConnectedUser {
  room: Room;
  /** Position inside the room, used as a bit index by the load tracker. */
  pos: number;
}

export interface Room {
  index: number;
  id: string;
  members: Member[];
}

/**
 * An ack or event as it arrives. The bench checks what the server sends
 * rather than trusting it, so every field may be missing.
 */
export interface Ack {
  status?: string;
  room?: { id?: string; participants?: { id: string }[] };
  message?: ReceivedMessage;
  error?: { code?: string };
}

export interface ReceivedMessage {
  messageId?: string;
  roomId?: string;
  senderId?: string;
  seq?: unknown;
}

/** Run fn over items with at most `limit` in flight. */
export async function pool<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
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
export async function createUsers(
  urls: string[],
  count: number,
  {
    offset = 0,
    concurrency = 32,
    home = (i: number) => i % urls.length,
  }: { offset?: number; concurrency?: number; home?: (i: number) => number } = {},
): Promise<User[]> {
  const idx = Array.from({ length: count }, (_, k) => offset + k);
  return pool(idx, concurrency, async (i) => {
    const url = urls[home(i)];
    const res = await fetch(`${url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: `bench-${i}`, avatar: null }),
    });
    const body = (await res.json().catch(() => null)) as { id?: string; token?: string } | null;
    if (res.status !== 201 || !body?.id || !body?.token) {
      throw new Error(`POST /users -> ${res.status} ${JSON.stringify(body)}`);
    }
    return { index: i, id: body.id, token: body.token, url, socket: null } satisfies User;
  });
}

/**
 * Connect one websocket-only socket per user, `batch` at a time (4,000 at once would
 * stampede the handshake path and time out). Resolves when all are connected.
 */
export async function connectUsers(
  users: User[],
  {
    batch = 200,
    timeoutMs = 20000,
    onSocket = () => {},
  }: { batch?: number; timeoutMs?: number; onSocket?: (u: ConnectedUser) => void } = {},
): Promise<ConnectedUser[]> {
  const connected: ConnectedUser[] = [];
  for (let s = 0; s < users.length; s += batch) {
    connected.push(
      ...(await Promise.all(users.slice(s, s + batch).map((u) => connectOne(u, timeoutMs, onSocket)))),
    );
  }
  return connected;
}

function connectOne(
  user: User,
  timeoutMs: number,
  onSocket: (u: ConnectedUser) => void,
): Promise<ConnectedUser> {
  return new Promise((resolve, reject) => {
    const socket = io(user.url, {
      auth: { token: user.token },
      transports: ['websocket'],
      forceNew: true, // one TCP connection per user, never multiplexed
      reconnection: false, // a drop must show up as a drop, not be papered over
      timeout: timeoutMs,
    });
    const u: ConnectedUser = Object.assign(user, { socket });
    onSocket(u);
    socket.once('connect', () => resolve(u));
    socket.once('connect_error', (e) => reject(new Error(`connect ${u.url} as ${u.id}: ${e.message}`)));
  });
}

export function disconnectUsers(users: User[]): void {
  for (const u of users) {
    u.socket?.disconnect();
  }
}

/**
 * Rooms of `size` consecutive users (so members alternate between instances). The
 * first member creates the room and names the others; the server adds the creator.
 * Waits until every member has seen `room_created`, which also proves cross-instance
 * fan-out works before any load is offered.
 */
export async function createRooms(
  users: ConnectedUser[],
  size: number,
  { concurrency = 16, timeoutMs = 15000 }: { concurrency?: number; timeoutMs?: number } = {},
): Promise<{ rooms: Room[]; missingRoomCreated: number }> {
  if (size < 3) {
    throw new Error('room size must be >= 3 (rooms of 2 are unique direct rooms)');
  }
  const groups: ConnectedUser[][] = [];
  for (let s = 0; s + size <= users.length; s += size) {
    groups.push(users.slice(s, s + size));
  }

  // Collect room_created per user before creating anything, so none is missed.
  const seen = new Map<string, Set<string>>(); // roomId -> Set(userId)
  const waiters = new Set<() => void>();
  const onCreated = (u: ConnectedUser) => (ev: Ack | undefined) => {
    const id = ev?.room?.id;
    if (!id) {
      return;
    }
    let members = seen.get(id);
    if (!members) {
      seen.set(id, (members = new Set()));
    }
    members.add(u.id);
    for (const w of waiters) {
      w();
    }
  };
  const handlers = users.map((u) => {
    const h = onCreated(u);
    u.socket.on('room_created', h);
    return [u, h] as const;
  });

  const rooms = await pool(groups, concurrency, async (group, k) => {
    const [creator, ...others] = group;
    const ack = (await creator.socket
      .timeout(timeoutMs)
      .emitWithAck('create_room', { participants: others.map((m) => m.id) })) as Ack | undefined;
    if (ack?.status !== 'success' || !ack.room?.id) {
      throw new Error(`create_room -> ${JSON.stringify(ack)}`);
    }
    const got = new Set((ack.room.participants || []).map((p) => p.id));
    const want = group.map((m) => m.id);
    if (got.size !== want.length || !want.every((id) => got.has(id))) {
      throw new Error(`create_room participants ${[...got].join(',')} != ${want.join(',')}`);
    }
    const room: Room = { index: k, id: ack.room.id, members: [] };
    // pos: position inside the room, used as a bit index by the tracker
    room.members = group.map((m, pos) => Object.assign(m, { room, pos }));
    return room;
  });

  // Every member of every room must have received room_created.
  const complete = () => rooms.every((r) => seen.get(r.id)?.size === r.members.length);
  const deadline = Date.now() + timeoutMs;
  while (!complete() && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const [u, h] of handlers) {
    u.socket.off('room_created', h);
  }
  const missingRoomCreated = rooms.reduce((n, r) => n + (r.members.length - (seen.get(r.id)?.size ?? 0)), 0);
  return { rooms, missingRoomCreated };
}
