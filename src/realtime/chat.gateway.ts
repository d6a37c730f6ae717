import { Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import {
  WebSocketGateway,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
} from '@nestjs/websockets';
import { Authenticator } from '../auth/authenticator.js';
import { ChatError } from '../common/chat-error.js';
import { toChatError } from '../common/to-chat-error.js';
import { Drain } from '../lifecycle/drain.js';
import { PresenceService } from '../users/presence.service.js';
import { Broadcaster } from './broadcaster.js';
import { ACTION_NAMES, findAction, type ActionName } from './action-table.js';
import { closeLocalSockets } from './close-sockets.js';
import { disconnectAtExpiry } from './session-expiry.js';
import { userChannel, type ActionAck, type ChatServer, type ChatSocket } from './events.js';
import { SocketActions } from './socket-actions.js';

type AckFn = ((answer: ActionAck) => void) | undefined;
type ActionHandler = (socket: ChatSocket, payload: unknown, ack: AckFn) => Promise<void>;

@WebSocketGateway()
export class ChatGateway
  implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, BeforeApplicationShutdown
{
  private readonly logger = new Logger(ChatGateway.name);
  private server: ChatServer | null = null;

  constructor(
    private readonly authenticator: Authenticator,
    private readonly actions: SocketActions,
    private readonly broadcaster: Broadcaster,
    private readonly drain: Drain,
    private readonly presence: PresenceService,
  ) {}

  afterInit(server: ChatServer): void {
    this.server = server;
    this.broadcaster.attach(server);
    // Authenticate at the handshake with the same check as HTTP: a socket
    // without a valid token never connects.
    server.use((socket, next) => {
      this.admit(socket).then(
        (refusal) => next(refusal === null ? undefined : new Error(refusal)),
        () => next(new Error('unavailable')), // the token version could not be read: retry
      );
    });
  }

  /** Null when the socket may connect, else the handshake's refusal. */
  private async admit(socket: ChatSocket): Promise<'unauthorized' | 'too_many_connections' | null> {
    const claims = await this.authenticator.authenticate(
      (socket.handshake.auth as { token?: unknown }).token,
    );
    if (!claims) {
      return 'unauthorized';
    }
    if (!(await this.presence.admit(claims.userId))) {
      return 'too_many_connections';
    }
    socket.data.userId = claims.userId;
    socket.data.expiresAt = claims.expiresAt;
    return null;
  }

  /**
   * Once the actions in flight have answered, close this instance's sockets
   * the polite way (pending acks are flushed first) so clients reconnect to
   * another instance; Nest's own teardown later would discard unsent packets.
   * Then hand presence over: users with no socket elsewhere go offline now.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.drain.untilDrained();
    if (this.server) {
      await closeLocalSockets(this.server, 2_000);
    }
    await this.presence.handOver();
  }

  /**
   * The actions are bound as plain Socket.IO listeners, not @SubscribeMessage
   * handlers: Nest's per-event pipeline (an rxjs chain and an execution
   * context for every message) measured at about a quarter of an instance's
   * CPU per message in the benchmark, and sockets use none of what it offers
   * (authentication happens at the handshake, validation through the same
   * DTOs as HTTP). Bound before the first await, so before the client can
   * send anything.
   */
  async handleConnection(socket: ChatSocket): Promise<void> {
    const listen = (event: ActionName | 'message', handle: ActionHandler) =>
      socket.on(event, (...args: unknown[]) => {
        const ack = typeof args.at(-1) === 'function' ? (args.pop() as AckFn) : undefined;
        void handle(socket, args[0], ack);
      });
    for (const name of ACTION_NAMES) {
      listen(name, (s, payload, ack) => this.perform(s, name, payload, ack));
    }
    listen('message', (s, payload, ack) => this.route(s, payload, ack));
    // Counted before the expiry timer may disconnect it, so the two always pair up.
    this.presence.socketConnected(socket.data.userId);
    disconnectAtExpiry(socket, socket.data.expiresAt);
    await socket.join(userChannel(socket.data.userId));
  }

  handleDisconnect(socket: ChatSocket): void {
    this.presence.socketDisconnected(socket.data.userId);
  }

  /** `socket.send(payload)`: routed by the payload's `action` field. */
  private async route(socket: ChatSocket, payload: unknown, ack: AckFn): Promise<void> {
    const named = (payload as { action?: unknown } | null)?.action;
    const action = findAction(named);
    if (action === null) {
      const error = ChatError.validation([`action must be one of: ${ACTION_NAMES.join(', ')}`]);
      return this.fail(socket, typeof named === 'string' ? named : 'message', error, ack);
    }
    return this.perform(socket, action, payload, ack);
  }

  private async perform(socket: ChatSocket, action: ActionName, payload: unknown, ack: AckFn) {
    if (this.drain.isDraining) {
      const error = ChatError.unavailable('This instance is shutting down; reconnect and retry');
      return this.fail(socket, action, error, ack);
    }
    // The answer is part of the tracked work: shutdown must not close the
    // socket between the commit and its acknowledgement.
    await this.drain.track(async () => {
      try {
        // Not `ack?.(await …)`: optional call would skip the action itself
        // for a client that sent no callback.
        const answer = await this.actions.perform(action, socket.data.userId, payload);
        ack?.(answer);
      } catch (error) {
        this.fail(socket, action, this.asChatError(action, error), ack);
      }
    });
  }

  /** Answers only the caller: a failure never disconnects it nor reaches anyone else. */
  private fail(socket: ChatSocket, action: string, error: ChatError, ack: AckFn): void {
    const { code, message, details } = error;
    if (ack) {
      ack({ status: 'error', error: { code, message, ...(details && { details }) } });
    } else {
      socket.emit('exception', { action, code, message, ...(details && { details }) });
    }
  }

  private asChatError(action: string, error: unknown): ChatError {
    const known = toChatError(error);
    if (known) {
      return known;
    }
    this.logger.error(`${action} failed`, error instanceof Error ? error.stack : String(error));
    return new ChatError('internal', 'Internal error');
  }
}
