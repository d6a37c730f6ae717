import { withTimeout } from '../common/with-timeout.js';
import type { ChatServer } from './events.js';

/**
 * Disconnects this instance's sockets and waits until each transport has
 * flushed what it still had to send (acks included) and closed, or until
 * the time is up.
 */
export async function closeLocalSockets(server: ChatServer, timeoutMs: number): Promise<void> {
  const sockets = [...server.sockets.sockets.values()];
  const closed = Promise.all(sockets.map((s) => new Promise((resolve) => s.conn.once('close', resolve))));
  server.local.disconnectSockets(true);
  await withTimeout(closed, timeoutMs, () => []);
}
