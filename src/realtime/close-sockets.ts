import { withTimeout } from '../common/with-timeout.js';
import type { ChatServer } from './events.js';

/**
 * Closes the connections of this instance's sockets, each once its
 * transport has flushed what it still had to send (acks included), and
 * waits until they are closed or the time is up.
 *
 * The connection, not the socket: a Socket.IO client told "io server
 * disconnect" (disconnectSockets) stays disconnected until its code calls
 * connect(), while a closed transport is reconnected by the client itself,
 * through the load balancer, to an instance that is still up.
 */
export async function closeLocalSockets(server: ChatServer, timeoutMs: number): Promise<void> {
  const connections = [...server.sockets.sockets.values()].map((s) => s.conn);
  const closed = Promise.all(
    connections.map((conn) => new Promise((resolve) => conn.once('close', resolve))),
  );
  connections.forEach((conn) => conn.close());
  await withTimeout(closed, timeoutMs, () => []);
}
