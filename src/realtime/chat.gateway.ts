import { Logger } from '@nestjs/common';
import {
  Ack,
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayConnection,
  type OnGatewayInit,
} from '@nestjs/websockets';
import { TokenService } from '../auth/token.service.js';
import { ChatError } from '../common/chat-error.js';
import { toChatError } from '../common/to-chat-error.js';
import { Broadcaster } from './broadcaster.js';
import {
  CLIENT_ACTIONS,
  userChannel,
  type ActionAck,
  type ChatServer,
  type ChatSocket,
  type ClientAction,
} from './events.js';
import { SocketActions } from './socket-actions.js';

type AckFn = ((answer: ActionAck) => void) | undefined;

@WebSocketGateway()
export class ChatGateway implements OnGatewayInit, OnGatewayConnection {
  private readonly logger = new Logger(ChatGateway.name);

  constructor(
    private readonly tokens: TokenService,
    private readonly actions: SocketActions,
    private readonly broadcaster: Broadcaster,
  ) {}

  afterInit(server: ChatServer): void {
    this.broadcaster.attach(server);
    // Authenticate at the handshake with the same verifier as HTTP: a socket
    // without a valid token never connects.
    server.use((socket, next) => {
      const userId = this.tokens.verify((socket.handshake.auth as { token?: unknown }).token);
      if (!userId) {
        next(new Error('unauthorized'));
        return;
      }
      socket.data.userId = userId;
      next();
    });
  }

  async handleConnection(socket: ChatSocket): Promise<void> {
    await socket.join(userChannel(socket.data.userId));
  }

  @SubscribeMessage('create_room')
  onCreateRoom(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown, @Ack() ack: AckFn) {
    return this.perform(socket, 'create_room', payload, ack);
  }

  @SubscribeMessage('create_message')
  onCreateMessage(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown, @Ack() ack: AckFn) {
    return this.perform(socket, 'create_message', payload, ack);
  }

  /** `socket.send(payload)`: routed by the payload's `action` field. */
  @SubscribeMessage('message')
  onMessage(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown, @Ack() ack: AckFn) {
    const action = (payload as { action?: unknown } | null)?.action;
    if (!CLIENT_ACTIONS.includes(action as ClientAction)) {
      const error = ChatError.validation([`action must be one of: ${CLIENT_ACTIONS.join(', ')}`]);
      return this.fail(socket, typeof action === 'string' ? action : 'message', error, ack);
    }
    return this.perform(socket, action as ClientAction, payload, ack);
  }

  private async perform(socket: ChatSocket, action: ClientAction, payload: unknown, ack: AckFn) {
    try {
      const answer = await this.actions.perform(action, socket.data.userId, payload);
      ack?.(answer);
    } catch (error) {
      this.fail(socket, action, this.asChatError(action, error), ack);
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
    this.logger.error(`${action} failed`, error instanceof Error ? error.stack : String(error));
    return new ChatError('internal', 'Internal error');
  }
}
