import type { BeforeApplicationShutdown } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
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
import { requestIdFrom } from '../logging/logging.js';
import { Metrics, UNKNOWN_ACTION, type ActionOutcome } from '../metrics/metrics.js';
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
  /**
   * pino's own logger, not Nest's: it can tell whether debug is on, so the
   * per-action line costs nothing when it is off (the hot path).
   */
  private readonly logger: PinoLogger['logger'];
  private server: ChatServer | null = null;

  constructor(
    private readonly authenticator: Authenticator,
    private readonly actions: SocketActions,
    private readonly broadcaster: Broadcaster,
    private readonly drain: Drain,
    private readonly presence: PresenceService,
    private readonly metrics: Metrics,
    pino: PinoLogger,
  ) {
    this.logger = pino.logger.child({ context: ChatGateway.name });
  }

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
  private async admit(
    socket: ChatSocket,
  ): Promise<'unauthorized' | 'too_many_connections' | 'unavailable' | null> {
    if (this.drain.isDraining) {
      // Closed, not refused: a refused handshake is not retried by Socket.IO
      // clients, a closed connection is, through the load balancer, once
      // this instance has stopped listening.
      socket.conn.close();
      return 'unavailable';
    }
    const claims = await this.authenticator.authenticate(
      (socket.handshake.auth as { token?: unknown }).token,
    );
    if (!claims) {
      return 'unauthorized';
    }
    if (!(await this.presence.admit(claims.userId))) {
      return 'too_many_connections';
    }
    this.holdPlace(socket, claims.userId);
    socket.data.userId = claims.userId;
    socket.data.requestId = requestIdFrom(socket.handshake.headers['x-request-id']);
    socket.data.expiresAt = claims.expiresAt;
    // Joined before the client is told it is connected: the user's channel
    // is subscribed by then (on this instance's first socket of the user),
    // so whatever its catch-up after connecting does not return reaches it
    // live. Socket.IO makes it leave again if the handshake goes no further.
    await socket.join(userChannel(claims.userId));
    return null;
  }

  /**
   * The place admit() took in the user's socket quota (§11) is given back
   * by handleDisconnect once the socket has connected. One that never
   * connects gets no disconnect (Socket.IO drops a socket whose client left
   * during the handshake without a word, and a refusal is not a
   * disconnect): its place is given back when its connection closes, or at
   * once if it closed already.
   */
  private holdPlace(socket: ChatSocket, userId: string): void {
    const giveBack = () => {
      if (!socket.data.connected) {
        this.presence.release(userId);
      }
    };
    if (socket.conn.readyState === 'open') {
      socket.conn.once('close', giveBack);
    } else {
      giveBack();
    }
  }

  /**
   * A revocation published while this socket's handshake was under way,
   * after its token was read, did not reach it: Socket.IO disconnects only
   * sockets that have connected, and the user's channel may not have been
   * subscribed yet. So the token is read once more now that the socket is
   * connected and subscribed: a later revocation reaches it as an event.
   * (Not when Redis took longer than the adapter's JOIN_WAIT_MS to confirm
   * the subscription: the handshake goes on without it, and what is
   * published before it holds is missed, a revocation as any broadcast.)
   * Room-mates may see a revoked socket online for that read's time.
   */
  private async recheckToken(socket: ChatSocket): Promise<void> {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    const claims = await this.authenticator.authenticate(token).catch(() => undefined);
    if (claims === null) {
      socket.disconnect(true);
    }
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
   * DTOs as HTTP). Bound as the socket connects, before its first frame
   * can be read.
   */
  handleConnection(socket: ChatSocket): void {
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
    socket.data.connected = true;
    this.presence.socketConnected(socket.data.userId);
    this.metrics.socketsConnected.inc();
    disconnectAtExpiry(socket, socket.data.expiresAt);
    void this.recheckToken(socket);
  }

  handleDisconnect(socket: ChatSocket): void {
    this.presence.socketDisconnected(socket.data.userId);
    this.metrics.socketsConnected.dec();
  }

  /** `socket.send(payload)`: routed by the payload's `action` field. */
  private async route(socket: ChatSocket, payload: unknown, ack: AckFn): Promise<void> {
    const named = (payload as { action?: unknown } | null)?.action;
    const action = findAction(named);
    if (action === null) {
      const error = ChatError.validation([`action must be one of: ${ACTION_NAMES.join(', ')}`]);
      this.answered(socket, UNKNOWN_ACTION, error.code, performance.now());
      return this.fail(socket, typeof named === 'string' ? named : 'message', error, ack);
    }
    return this.perform(socket, action, payload, ack);
  }

  private async perform(socket: ChatSocket, action: ActionName, payload: unknown, ack: AckFn) {
    const startedAt = performance.now();
    if (this.drain.isDraining) {
      const error = ChatError.unavailable('This instance is shutting down; reconnect and retry');
      this.answered(socket, action, error.code, startedAt);
      return this.fail(socket, action, error, ack);
    }
    // The answer is part of the tracked work: shutdown must not close the
    // socket between the commit and its acknowledgement.
    await this.drain.track(async () => {
      try {
        // Not `ack?.(await …)`: optional call would skip the action itself
        // for a client that sent no callback.
        const answer = await this.actions.perform(action, socket.data.userId, payload);
        this.answered(socket, action, 'success', startedAt);
        ack?.(answer);
      } catch (error) {
        const failure = this.asChatError(action, error);
        this.answered(socket, action, failure.code, startedAt);
        this.fail(socket, action, failure, ack);
      }
    });
  }

  /**
   * Counts the answer, and at debug level logs it: which action, for whom,
   * on which socket, how it ended and how long it took; never the payload.
   * The socket id and its handshake's request id tie the line to the
   * connection's HTTP log lines.
   */
  private answered(socket: ChatSocket, action: string, outcome: ActionOutcome, startedAt: number): void {
    this.metrics.actionAnswered(action, outcome, startedAt);
    if (this.logger.isLevelEnabled('debug')) {
      this.logger.debug({
        msg: 'socket action answered',
        action,
        outcome,
        userId: socket.data.userId,
        socketId: socket.id,
        requestId: socket.data.requestId,
        ms: Math.round((performance.now() - startedAt) * 100) / 100,
      });
    }
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
    this.logger.error({ action, err: error }, `${action} failed`);
    return new ChatError('internal', 'Internal error');
  }
}
