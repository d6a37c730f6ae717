import type { INestApplication } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server, ServerOptions } from 'socket.io';
import { MAX_PAYLOAD_BYTES } from '../common/limits.js';
import { ownOrigin } from '../common/own-origin.js';
import { AppConfig } from '../config/app-config.js';
import { Backplane } from '../redis/backplane.js';
import { coalesceWrites } from './coalesce-writes.js';

/**
 * Socket.IO wired to this mode's backplane, so an emit on one instance
 * reaches sockets on all of them. Origins are checked at the handshake
 * against the same allow-list as HTTP, the service's own origin included.
 * What a connection is sent in one turn of the event loop goes out in one
 * write (coalesce-writes.ts).
 */
export class ChatIoAdapter extends IoAdapter {
  constructor(private readonly app: INestApplication) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const config = this.app.get(AppConfig);
    const server: Server = super.createIOServer(port, {
      ...options,
      maxHttpBufferSize: MAX_PAYLOAD_BYTES,
      // CORS headers only matter to cross-origin pages; allowRequest is the
      // check, and it lets the service's own pages (same origin) through.
      cors: { origin: (origin, done) => done(null, config.isOriginAllowed(origin)) },
      allowRequest: (request, done) =>
        done(null, config.isOriginAllowed(request.headers.origin, ownOrigin(request))),
    } as ServerOptions);
    server.engine.on('connection', coalesceWrites);
    this.app.get(Backplane).attach(server);
    return server;
  }
}
