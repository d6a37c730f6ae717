import type { Socket as TcpSocket } from 'node:net';

/** What of an engine.io connection this needs; its own typings keep `flush` and the ws socket private. */
interface EngineConnection {
  readyState: string;
  flush(): void;
  close(discard?: boolean): void;
  transport: { socket?: { _socket?: TcpSocket } };
}

/**
 * Engine.io writes each packet to the network as soon as it is emitted,
 * one system call per frame, and the next only once that write has called
 * back. A sender gets its own `message_created` and then its ack in the
 * same turn of the event loop, and a busy socket several events: they are
 * held until the callback that emitted them has run, with the promise jobs
 * it set going when it emitted from one (as a send's broadcast and ack
 * do: `process.nextTick` queued from a promise job runs after them), then
 * written together in one call, the TCP socket corked around the frames.
 * Order and backpressure are engine.io's, unchanged; a packet waits no
 * longer than the turn that emitted it.
 *
 * A connection that is not open (closing) flushes at once, as engine.io
 * expects: an upgrade that completes while it closes flushes, then closes
 * the new transport in the same breath.
 *
 * This leans on private members of engine.io (`flush()`) and ws (the TCP
 * `_socket`), pinned by the lock file; coalesce-writes.spec.ts fails if
 * either changes.
 */
export function coalesceWrites(connection: unknown): void {
  const conn = connection as EngineConnection;
  const flushNow = conn.flush.bind(conn);
  let scheduled = false;
  const flushCorked = () => {
    scheduled = false;
    // Absent on the polling transport, which writes one response per flush anyway.
    const tcp = conn.transport.socket?._socket;
    tcp?.cork();
    try {
      flushNow();
    } catch {
      // Thrown from a tick, this would end the process; a connection that
      // cannot write is closed instead, and its client reconnects.
      conn.close(true);
    } finally {
      tcp?.uncork();
    }
  };
  conn.flush = () => {
    if (conn.readyState !== 'open') {
      flushCorked();
    } else if (!scheduled) {
      scheduled = true;
      process.nextTick(flushCorked);
    }
  };
}
