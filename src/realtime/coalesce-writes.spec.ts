import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket as TcpSocket } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { coalesceWrites } from './coalesce-writes.js';
import { countSystemWrites } from '../../test/setup/system-writes.js';

/** A real Socket.IO server and websocket client; each test gets the server's side of one connection. */
describe('coalesceWrites', () => {
  let http: HttpServer;
  let server: Server;
  let client: ClientSocket;
  let socket: Socket;
  /** Calls that hand bytes to the kernel on the server's TCP socket: one system call each. */
  let tcpWrites: { readonly count: number };

  beforeEach(async () => {
    http = createServer();
    server = new Server(http);
    server.engine.on('connection', coalesceWrites);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const connected = new Promise<Socket>((resolve) => server.on('connection', resolve));
    const { port } = http.address() as AddressInfo;
    client = connect(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true });
    socket = await connected;
    const tcp = (socket.conn.transport as unknown as { socket: { _socket: TcpSocket } }).socket._socket;
    tcpWrites = countSystemWrites(tcp);
  });

  afterEach(async () => {
    client.disconnect();
    await server.close();
  });

  /** The events the client receives, in order, until it has `count`. */
  const received = (count: number) =>
    new Promise<unknown[]>((resolve) => {
      const events: unknown[] = [];
      client.onAny((event, value) => {
        events.push([event, value]);
        if (events.length === count) {
          resolve(events);
        }
      });
    });

  it('writes the packets emitted in one turn in one system call, in order', async () => {
    const events = received(3);
    socket.emit('a', 1);
    socket.emit('b', 2);
    socket.emit('c', 3);
    expect(await events).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    expect(tcpWrites.count).toBe(1);
  });

  it('includes what the turn emits after awaiting settled promises (an ack after its broadcast)', async () => {
    // A test body runs in a promise job, as a send's continuation after its commit does.
    const events = received(2);
    socket.emit('message_created', 'm');
    await Promise.resolve().then(() => undefined);
    socket.emit('ack', 'm');
    expect(await events).toEqual([
      ['message_created', 'm'],
      ['ack', 'm'],
    ]);
    expect(tcpWrites.count).toBe(1);
  });

  it('holds nothing past its turn: a later turn is written on its own', async () => {
    const first = received(1);
    socket.emit('a', 1);
    expect(await first).toEqual([['a', 1]]);
    client.offAny();
    const second = received(1);
    setImmediate(() => socket.emit('b', 2));
    expect(await second).toEqual([['b', 2]]);
    expect(tcpWrites.count).toBe(2);
  });

  it('still answers acks and closes after flushing what is pending', async () => {
    const reply = client.timeout(2_000).emitWithAck('ping', 'x');
    socket.on('ping', (value: string, ack: (answer: string) => void) => ack(`pong ${value}`));
    expect(await reply).toBe('pong x');
    const last = received(1);
    const closed = new Promise((resolve) => client.once('disconnect', resolve));
    socket.emit('bye', 1);
    socket.conn.close();
    expect(await last).toEqual([['bye', 1]]);
    expect(await closed).toBe('transport close');
  });

  it('flushes at once while closing: an upgrade that completes then closes its new transport straight away', async () => {
    const last = received(1);
    socket.emit('bye', 1);
    socket.conn.close(); // closing: waits for what is buffered to be written
    // What engine.io does when a client's upgrade packet reaches a closing connection.
    const conn = socket.conn as unknown as { flush(): void; transport: { close(): void } };
    conn.flush();
    conn.transport.close();
    const nothing = new Promise((resolve) => setTimeout(() => resolve('nothing arrived'), 2_000));
    expect(await Promise.race([last, nothing])).toEqual([['bye', 1]]);
  });

  it('closes a connection whose flush throws, instead of ending the process', async () => {
    const closed = new Promise((resolve) => client.once('disconnect', resolve));
    Object.assign(socket.conn.transport, {
      send: () => {
        throw new Error('a broken transport');
      },
    });
    socket.emit('a', 1);
    expect(await closed).toBe('transport close');
  });
});
