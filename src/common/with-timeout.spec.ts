import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { withTimeout } from './with-timeout.js';

const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('withTimeout', () => {
  it('answers with the work when it is in time', async () => {
    await expect(withTimeout(after(5, 'done'), 1_000, () => 'late')).resolves.toBe('done');
  });

  it('answers with onTimeout when the work is late, and can fail that way', async () => {
    await expect(withTimeout(after(1_000, 'done'), 5, () => 'late')).resolves.toBe('late');
    const failing = () => {
      throw new Error('no answer');
    };
    await expect(withTimeout(after(1_000, 'done'), 5, failing)).rejects.toThrow('no answer');
  });
});

describe('withTimeout after an event-loop stall', () => {
  // The answering side must be another process: it has to answer while this
  // one is blocked.
  let echo: ChildProcess;
  let port: number;

  beforeAll(async () => {
    echo = spawn(process.execPath, [
      '-e',
      `const s = require('node:net').createServer((c) => c.on('data', (d) => c.write(d)));
       s.listen(0, '127.0.0.1', () => console.log(s.address().port));`,
    ]);
    port = Number(
      await new Promise<string>((resolve) => echo.stdout!.once('data', (d: Buffer) => resolve(d.toString()))),
    );
  });
  afterAll(() => echo.kill());

  it('lets an answer that arrived during the stall win over a timer that came due meanwhile', async () => {
    const client = connect(port, '127.0.0.1');
    try {
      await new Promise((resolve) => client.once('connect', resolve));
      const echoed = new Promise<string>((resolve) =>
        client.once('data', (data) => resolve(data.toString())),
      );
      client.write('answer');
      const raced = withTimeout(echoed, 20, () => 'timed out');
      const until = Date.now() + 200; // the echo arrives, and the timer comes due, while this loop is blocked
      while (Date.now() < until) {
        // a synchronous stall, as a burst of heavy payloads causes
      }
      await expect(raced).resolves.toBe('answer');
    } finally {
      client.destroy();
    }
  });
});
