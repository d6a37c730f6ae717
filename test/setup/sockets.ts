import { io, type Socket } from 'socket.io-client';
import { checkAck, checkEvent } from './api-conformance.js';
import type { ActionAck, ClientToServerEvents, ServerToClientEvents } from '../../src/realtime/events.js';

export type ChatClient = Socket<ServerToClientEvents, ClientToServerEvents>;

const openClients = new Set<ChatClient>();

/** A connected Socket.IO client, authenticated with the token. */
export async function connect(
  url: string,
  token: string | undefined,
  options: object = {},
): Promise<ChatClient> {
  const socket: ChatClient = io(url, {
    auth: token === undefined ? {} : { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...options,
  });
  openClients.add(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => reject(error));
  });
  return socket;
}

export function closeAllClients(): void {
  for (const socket of openClients) {
    socket.disconnect();
  }
  openClients.clear();
}

/** Emits an action and resolves with its acknowledgement. */
export async function request(
  socket: ChatClient,
  event: keyof ClientToServerEvents,
  payload: unknown,
): Promise<ActionAck> {
  const ack = (await socket.timeout(10_000).emitWithAck(event, payload)) as ActionAck;
  checkAck(event, ack);
  return ack;
}

/** The acknowledgement of a failed action with this code, as a matcher. */
export const errorAck = (code: string) => ({
  status: 'error',
  error: {
    code,
    message: expect.any(String),
    ...(code === 'validation_failed' && { details: expect.any(Array) }),
  },
});

/**
 * Records every server event a socket receives, so a test can wait for one
 * or assert that none came.
 */
export class Inbox {
  /** Each event with when it arrived (ms since the epoch). */
  readonly received: { event: string; data: any; at: number }[] = [];
  private waiters: (() => void)[] = [];

  constructor(socket: ChatClient) {
    socket.onAny((event: string, data: unknown) => {
      checkEvent(event, data);
      this.received.push({ event, data, at: Date.now() });
      this.waiters.forEach((wake) => wake());
    });
  }

  of(event: string): any[] {
    return this.received.filter((r) => r.event === event).map((r) => r.data);
  }

  /** Resolves with the first event matching `match` (past or future). */
  async waitFor(event: string, match: (data: any) => boolean = () => true, timeoutMs = 5_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.of(event).find(match);
      if (found !== undefined) {
        return found;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no ${event} event arrived within ${timeoutMs} ms`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.waiters = [];
    }
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
