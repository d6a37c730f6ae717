import type { Socket as TcpSocket } from 'node:net';

/** What of an engine.io connection this needs; its own typings keep `flush` and the ws socket private. */
interface EngineConnection {
  flush(): void;
  transport: { socket?: { _socket?: TcpSocket } };
}

/**
 * Engine.io writes each packet to the network as soon as it is emitted,
 * one system call per frame, and the next only once that write has called
 * back. A sender gets its own `message_created` and then its ack in the
 * same turn of the event loop, and a busy socket several events: they are
 * held until the turn's promises have settled (`process.nextTick`), then
 * written together in one call (the TCP socket corked around the frames).
 * Order and backpressure are engine.io's, unchanged; a packet waits no
 * longer than the turn that emitted it.
 *
 * This leans on two private members, engine.io's `flush()` and the ws
 * socket's `_socket`, pinned by the lock file; coalesce-writes.spec.ts
 * fails if either changes.
 */
export function coalesceWrites(connection: unknown): void {
  const conn = connection as EngineConnection;
  const flushNow = conn.flush.bind(conn);
  let scheduled = false;
  const flushTurn = () => {
    scheduled = false;
    // Absent on the polling transport, which writes one response per flush anyway.
    const tcp = conn.transport.socket?._socket;
    tcp?.cork();
    try {
      flushNow();
    } finally {
      tcp?.uncork();
    }
  };
  conn.flush = () => {
    if (!scheduled) {
      scheduled = true;
      process.nextTick(flushTurn);
    }
  };
}
