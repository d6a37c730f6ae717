// A process of the scaling control (control-load.ts): for every byte it
// receives it does the same fixed work, then echoes the bytes back.
import net from 'node:net';

/** Work units per event (argv[2]): the control sizes it to what a delivery costs the service. */
const units = Number(process.argv[2]);

// One unit: a JSON round trip of a small message-shaped document (some
// tens of µs). It never varies, so its cost per event can only move with
// the machine.
const doc = {
  items: Array.from({ length: 8 }, (_, i) => ({
    messageId: `01J${String(i).padStart(23, '0')}`,
    roomId: `room-${i % 7}`,
    content: 'x'.repeat(64),
    seq: i,
  })),
};
let items = 0;

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('data', (events: Buffer) => {
    for (let i = 0; i < events.length * units; i++) {
      items += (JSON.parse(JSON.stringify(doc)) as typeof doc).items.length;
    }
    socket.write(events);
  });
});
server.listen(0, '127.0.0.1', () => {
  process.send!((server.address() as net.AddressInfo).port);
});
process.on('disconnect', () => {
  // The sum is what keeps the work from being optimised away.
  process.exitCode = items > 0 ? 0 : 1;
  process.exit();
});
