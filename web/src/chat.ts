import { io, type Socket } from 'socket.io-client';
import { Api, ApiError } from './api';
import type { ClientToServerEvents, Message, Room, ServerToClientEvents, User } from './contract';
import { People } from './people';
import { Rooms } from './rooms';
import {
  affinityKey,
  clearSession,
  loadSession,
  randomId,
  refreshDelay,
  saveSession,
  type Session,
} from './session';
import { PAGE_SIZE, Timeline } from './timeline';
import { Typing } from './typing';

type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type ActionName = keyof ClientToServerEvents;
type Payload<A extends ActionName> = Parameters<ClientToServerEvents[A]>[0];
type AckOf<A extends ActionName> = Parameters<Parameters<ClientToServerEvents[A]>[1]>[0];
type Success<A extends ActionName> = Extract<AckOf<A>, { status: 'success' }>;
interface LooseEmitter {
  emitWithAck(event: string, payload: unknown): Promise<unknown>;
}

/** An action that did not succeed: the contract's code, or `disconnected` when it could not be sent. */
export class ActionError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const ACK_TIMEOUT_MS = 10_000;
const TYPING_REPEAT_MS = 3_000;
const TYPING_IDLE_MS = 3_000;
/** Live events of one room may arrive slightly out of `seq` order; a hole still open after this is fetched. */
const GAP_GRACE_MS = 1_000;

export type Connection = 'connecting' | 'online' | 'offline';

/**
 * Everything the page shows, and every way it changes: the session, one
 * socket, the rooms, their timelines, people and presence. Views read its
 * fields and re-render on `subscribe`; they change it only through methods.
 */
export class Chat {
  session: Session | null = loadSession();
  connection: Connection = 'connecting';
  openRoomId: string | null = null;
  /** A problem to tell the person about, shown until the next one. */
  notice: string | null = null;
  readonly rooms = new Rooms();
  readonly people = new People();
  readonly typing = new Typing(() => this.changed());
  readonly timelines = new Map<string, Timeline>();

  private socket: ChatSocket | null = null;
  private readonly api = new Api(
    () => this.session?.token ?? null,
    () => this.endSession(),
  );
  private readonly listeners = new Set<() => void>();
  private notifyQueued = false;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly typingSentAt = new Map<string, number>();
  private readonly typingIdle = new Map<string, ReturnType<typeof setTimeout>>();

  constructor() {
    addEventListener('offline', () => this.goOffline());
    addEventListener('online', () => this.socket?.connect());
    document.addEventListener('visibilitychange', () => this.openRoomId && this.markRead(this.openRoomId));
    if (this.session) {
      void this.resume();
    }
  }

  get me(): User | null {
    return this.session?.user ?? null;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Views re-render once per turn, however many things changed in it. */
  changed(): void {
    if (!this.notifyQueued) {
      this.notifyQueued = true;
      queueMicrotask(() => {
        this.notifyQueued = false;
        this.listeners.forEach((listener) => listener());
      });
    }
  }

  // ---------------------------------------------------------------- session

  async join(name: string, avatar: string | null): Promise<void> {
    const user = await this.api.post<User & { token: string }>('/users', { name, avatar });
    const { token, ...profile } = user;
    this.session = { user: profile, token };
    saveSession(this.session);
    await this.resume();
  }

  /** A kept session: refresh its token (which also proves it is still good), then connect. */
  private async resume(): Promise<void> {
    await this.refreshToken();
    if (this.session) {
      this.connect();
    }
  }

  private async refreshToken(): Promise<void> {
    clearTimeout(this.refreshTimer);
    try {
      const { token, expiresAt } = await this.api.post<{ token: string; expiresAt: string }>('/auth/refresh');
      if (this.session) {
        this.session = { ...this.session, token, expiresAt };
        saveSession(this.session);
      }
    } catch (error) {
      // A 401 ended the session (Api); anything else (offline, 503) is tried again later.
      if (!(error instanceof ApiError && error.status === 401)) {
        this.refreshTimer = setTimeout(() => void this.refreshToken(), 30_000);
        return;
      }
    }
    if (this.session) {
      this.refreshTimer = setTimeout(() => void this.refreshToken(), refreshDelay(this.session));
    }
  }

  /** The token is no longer good (expired, revoked): back to the join form. */
  endSession(): void {
    clearTimeout(this.refreshTimer);
    this.socket?.close();
    this.socket = null;
    clearSession();
    this.session = null;
    this.openRoomId = null;
    this.rooms.clear();
    this.timelines.clear();
    this.notice = 'Your session has ended. Join again to go on.';
    this.changed();
  }

  // ----------------------------------------------------------------- socket

  private connect(): void {
    this.socket?.close();
    // Same origin: the page and the service are one. The token is read at
    // each (re)connect, so a refreshed one is used from then on.
    const socket: ChatSocket = io({
      auth: (cb) => cb({ token: this.session?.token }),
      query: { affinity: affinityKey() },
      reconnectionDelayMax: 5_000,
    });
    this.socket = socket;
    socket.on('connect', () => {
      this.connection = 'online';
      this.changed();
      void this.sync();
    });
    socket.on('disconnect', () => this.goOffline());
    socket.on('connect_error', (error) => {
      if (error.message === 'unauthorized') {
        this.endSession();
        return;
      }
      this.goOffline();
    });
    socket.on('room_created', ({ room }) => this.addRoom(room));
    socket.on('message_created', ({ message }) => this.receive(message, true));
    socket.on('message_updated', ({ message }) => this.receive(message, false));
    socket.on('message_deleted', ({ message }) => this.receive(message, false));
    socket.on('room_read', ({ read }) => {
      this.rooms.setRead(read, this.me!.id);
      this.changed();
    });
    socket.on('typing', ({ roomId, userId, typing }) => this.typing.set(roomId, userId, typing));
    socket.on('presence', ({ userId, online, lastSeenAt }) => {
      this.people.setPresence(userId, online, lastSeenAt);
      this.changed();
    });
    socket.on('participants_added', ({ room }) => this.addRoom(room));
    socket.on('participant_left', ({ roomId, userId }) => this.removeParticipant(roomId, userId));
  }

  private goOffline(): void {
    if (!navigator.onLine) {
      // Emulated or real: the socket may not notice for a ping interval (25 s).
      this.socket?.disconnect();
      // Keep trying once the network is back ('online').
    } else if (this.socket && !this.socket.active) {
      this.socket.connect();
    }
    this.connection = 'offline';
    for (const timeline of this.timelines.values()) {
      timeline.failPending('Not sent: the connection was lost');
    }
    this.changed();
  }

  /**
   * After every (re)connect: rooms and people afresh, then each room whose
   * history is open catches up on what it missed, edits and deletes too.
   */
  private async sync(): Promise<void> {
    try {
      const [rooms] = await Promise.all([
        this.api.get<Room[]>('/rooms?limit=200'),
        this.people.load(this.api),
      ]);
      this.rooms.replace(rooms, this.me!.id);
      rooms.forEach((room) => this.people.learn(room.participants));
      for (const roomId of this.timelines.keys()) {
        await this.catchUp(roomId);
      }
      if (this.openRoomId) {
        await this.loadReads(this.openRoomId);
        this.markRead(this.openRoomId);
      }
    } catch (error) {
      this.report(error);
    }
    this.changed();
  }

  /** Through the change feed (§9) when the server has one, else `?after=` the newest message. */
  private async catchUp(roomId: string): Promise<void> {
    const timeline = this.timelines.get(roomId);
    if (!timeline) {
      return;
    }
    if (!timeline.newest) {
      await this.loadLatest(roomId, timeline);
      return;
    }
    const oldestSeq = timeline.oldest!.seq;
    for (;;) {
      const page = timeline.knowsRevs
        ? (
            await this.api.get<{ changes: Message[] }>(
              `/rooms/${roomId}/changes?since=${timeline.rev}&limit=200`,
            )
          ).changes
        : await this.api.get<Message[]>(
            `/rooms/${roomId}/messages?after=${timeline.newest.messageId}&limit=200`,
          );
      // An older message edited meanwhile is read in its latest state when scrolled to.
      page.filter((m) => m.seq >= oldestSeq).forEach((m) => this.upsert(m));
      // Its rev is still the feed's position.
      page.forEach((m) => (timeline.rev = Math.max(timeline.rev, m.rev ?? 0)));
      if (page.length < 200) {
        break;
      }
    }
    this.changed();
  }

  private async emit<A extends ActionName>(action: A, payload: Payload<A>): Promise<Success<A>> {
    const socket = this.socket;
    if (!socket?.connected) {
      throw new ActionError('disconnected', 'You are offline');
    }
    let ack: AckOf<A>;
    try {
      // socket.io's typed emit cannot follow a generic action name; the map above types the result.
      const timed = socket.timeout(ACK_TIMEOUT_MS) as unknown as LooseEmitter;
      ack = (await timed.emitWithAck(action, payload)) as AckOf<A>;
    } catch {
      throw new ActionError('timeout', 'No answer from the service');
    }
    if (ack.status === 'error') {
      throw new ActionError(ack.error.code, ack.error.message);
    }
    return ack as Success<A>;
  }

  // ------------------------------------------------------------------ rooms

  private addRoom(room: Room): void {
    this.rooms.upsert(room, this.me!.id);
    this.people.learn(room.participants);
    this.changed();
  }

  private removeParticipant(roomId: string, userId: string): void {
    if (userId === this.me!.id) {
      this.rooms.remove(roomId);
      this.timelines.delete(roomId);
      if (this.openRoomId === roomId) {
        this.openRoomId = null;
      }
    } else {
      this.rooms.removeParticipant(roomId, userId);
    }
    this.changed();
  }

  async openRoom(roomId: string): Promise<void> {
    this.openRoomId = roomId;
    this.changed();
    try {
      if (!this.timelines.has(roomId)) {
        const timeline = new Timeline();
        this.timelines.set(roomId, timeline);
        await Promise.all([this.loadLatest(roomId, timeline), this.loadReads(roomId)]);
      }
      this.markRead(roomId);
    } catch (error) {
      this.report(error);
    }
  }

  closeRoom(): void {
    this.openRoomId = null;
    this.changed();
  }

  private async loadLatest(roomId: string, timeline: Timeline): Promise<void> {
    timeline.addOlder(await this.api.get<Message[]>(`/rooms/${roomId}/messages?limit=${PAGE_SIZE}`));
    this.changed();
  }

  async loadOlder(roomId: string): Promise<void> {
    const timeline = this.timelines.get(roomId);
    const oldest = timeline?.oldest;
    if (!timeline?.hasOlder || !oldest) {
      return;
    }
    try {
      const page = await this.api.get<Message[]>(
        `/rooms/${roomId}/messages?before=${oldest.messageId}&limit=${PAGE_SIZE}`,
      );
      timeline.addOlder(page);
      this.changed();
    } catch (error) {
      this.report(error);
    }
  }

  private async loadReads(roomId: string): Promise<void> {
    const reads = await this.api.get<{ userId: string; lastReadSeq: number }[]>(`/rooms/${roomId}/reads`);
    reads.forEach((read) => this.rooms.setRead({ roomId, ...read }, this.me!.id));
    this.changed();
  }

  /** Opens the direct room with one person, or a new group with several. */
  async startRoom(participants: string[], name?: string): Promise<void> {
    const payload = name ? { participants, name } : { participants };
    const { room } = await this.emit('create_room', payload);
    this.addRoom(room);
    await this.openRoom(room.id);
  }

  async addParticipants(roomId: string, participants: string[]): Promise<void> {
    const { room } = await this.emit('add_participants', { roomId, participants });
    this.addRoom(room);
  }

  async leaveRoom(roomId: string): Promise<void> {
    await this.emit('leave_room', { roomId });
    this.removeParticipant(roomId, this.me!.id);
  }

  /** Reads the open room up to its newest message, while the page is visible. */
  markRead(roomId: string): void {
    const state = this.rooms.get(roomId);
    if (!state || document.visibilityState === 'hidden' || this.openRoomId !== roomId) {
      return;
    }
    const seq = Math.max(state.lastSeq, this.timelines.get(roomId)?.newest?.seq ?? 0);
    if (seq > state.lastReadSeq) {
      state.lastReadSeq = seq;
      state.unread = 0;
      this.emit('mark_read', { roomId, seq }).catch(() => {
        // Read again at the next open or reconnect.
      });
      this.changed();
    }
  }

  // --------------------------------------------------------------- messages

  /** A message from the live feed or an ack: placed, counted, and read if its room is open. */
  private receive(message: Message, created: boolean): void {
    const known = this.rooms.get(message.roomId);
    if (!known) {
      // A room we were just added to, or one created while the list loaded.
      this.api
        .get<Room>(`/rooms/${message.roomId}`)
        .then((room) => this.addRoom(room))
        .catch(() => undefined);
      return;
    }
    const fresh = this.upsert(message);
    if (created && fresh && message.senderId !== this.me!.id) {
      this.typing.set(message.roomId, message.senderId, false);
      if (this.openRoomId === message.roomId && document.visibilityState !== 'hidden') {
        this.markRead(message.roomId);
      } else if (message.seq > known.lastReadSeq) {
        known.unread += 1;
      }
    }
    const timeline = this.timelines.get(message.roomId);
    if (timeline?.hasGap) {
      setTimeout(() => timeline.hasGap && void this.catchUp(message.roomId), GAP_GRACE_MS);
    }
    this.changed();
  }

  /** Into its timeline (when loaded) and the room list; false when it was nothing new. */
  private upsert(message: Message): boolean {
    const timeline = this.timelines.get(message.roomId);
    const newer = this.rooms.noteMessage(message);
    return timeline ? timeline.upsert(message) : newer;
  }

  send(roomId: string, content: string): void {
    const message: Message = {
      roomId,
      messageId: randomId(),
      content,
      senderId: this.me!.id,
      createdAt: new Date().toISOString(),
      status: 'success',
      seq: 0,
    };
    this.stopTyping(roomId);
    this.timelines.get(roomId)?.addLocal(message);
    this.changed();
    void this.deliver(message);
  }

  /** A failed send again, with the same messageId: stored once however many tries reach the service. */
  retry(roomId: string, messageId: string): void {
    const entry = this.timelines.get(roomId)?.get(messageId);
    if (entry?.state === 'failed') {
      this.timelines.get(roomId)!.setState(messageId, 'pending');
      this.changed();
      void this.deliver(entry.message);
    }
  }

  private async deliver({ roomId, messageId, content }: Message): Promise<void> {
    try {
      const { message } = await this.emit('create_message', { roomId, messageId, content });
      this.upsert(message);
      this.rooms.readOwn(message);
    } catch (error) {
      const reason = error instanceof ActionError ? error.message : 'Not sent';
      this.timelines.get(roomId)?.setState(messageId, 'failed', reason);
    }
    this.changed();
  }

  async edit(message: Message, content: string): Promise<void> {
    await this.changeMessage(
      this.emit('edit_message', { roomId: message.roomId, messageId: message.messageId, content }),
    );
  }

  async remove(message: Message): Promise<void> {
    await this.changeMessage(
      this.emit('delete_message', { roomId: message.roomId, messageId: message.messageId }),
    );
  }

  private async changeMessage(action: Promise<{ message: Message }>): Promise<void> {
    try {
      this.receive((await action).message, false);
    } catch (error) {
      this.report(error);
    }
  }

  // ----------------------------------------------------------------- typing

  /** Called on each keystroke: `typing: true` now and every ~3 s, `false` after 3 s of quiet. */
  typed(roomId: string): void {
    const now = Date.now();
    if (now - (this.typingSentAt.get(roomId) ?? 0) >= TYPING_REPEAT_MS) {
      this.typingSentAt.set(roomId, now);
      this.emit('typing', { roomId, typing: true }).catch(() => undefined);
    }
    clearTimeout(this.typingIdle.get(roomId));
    this.typingIdle.set(
      roomId,
      setTimeout(() => this.stopTyping(roomId), TYPING_IDLE_MS),
    );
  }

  stopTyping(roomId: string): void {
    clearTimeout(this.typingIdle.get(roomId));
    if (this.typingSentAt.delete(roomId)) {
      this.emit('typing', { roomId, typing: false }).catch(() => undefined);
    }
  }

  // ----------------------------------------------------------------- people

  async searchPeople(query: string): Promise<void> {
    try {
      await this.people.load(this.api, query);
    } catch (error) {
      this.report(error);
    }
    this.changed();
  }

  /** People for the "add people" picker, without touching the sidebar's search. */
  findPeople(query: string): Promise<User[]> {
    const q = query.trim() ? `&q=${encodeURIComponent(query.trim())}` : '';
    return this.api.get<User[]>(`/users?limit=50${q}`);
  }

  report(error: unknown): void {
    this.notice = error instanceof Error ? error.message : 'Something went wrong';
    this.changed();
  }

  dismissNotice(): void {
    this.notice = null;
    this.changed();
  }
}
