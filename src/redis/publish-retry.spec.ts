import { Logger } from '@nestjs/common';
import { PublishRetry, type PublishShards } from './publish-retry.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A single Redis link that a test can take down and bring back. */
function link() {
  const state = { up: true, sent: [] as string[] };
  const send = (_channel: string, message: string | Buffer) => {
    if (!state.up) {
      return Promise.reject(new Error('Stream is not writeable'));
    }
    state.sent.push(String(message));
    return Promise.resolve(1);
  };
  const shards: PublishShards = {
    slotOf: () => 0,
    serverOf: () => 'Redis',
    probe: () => (state.up ? Promise.resolve('PONG') : Promise.reject(new Error('down'))),
  };
  return { state, send, isReady: () => state.up, shards };
}

/**
 * A Redis Cluster whose masters a test can kill and bring back, and whose
 * slots it can move: a channel is `<slot>/<name>`. A publish to a dead
 * master fails after `failAfterMs`, as ioredis's does once its
 * redirections are spent.
 */
function cluster(owners: Record<number, string>, failAfterMs = 0) {
  const down = new Set<string>();
  const sent: string[] = [];
  const attempted: string[] = [];
  const shards: PublishShards = {
    slotOf: (channel) => Number(channel.split('/')[0]),
    serverOf: (slot) => owners[slot],
    probe: (channel) =>
      down.has(owners[shards.slotOf(channel)]) ? Promise.reject(new Error('down')) : Promise.resolve(0),
  };
  const send = (channel: string, message: string | Buffer) => {
    attempted.push(String(message));
    if (!down.has(owners[shards.slotOf(channel)])) {
      sent.push(String(message));
      return Promise.resolve(1);
    }
    return sleep(failAfterMs).then(() => Promise.reject(new Error('Connection is closed.')));
  };
  return { owners, down, sent, attempted, send, shards };
}

const options = { maxWaiting: 3, graceMs: 50, probeIntervalMs: 5, logger: new Logger('test') };

describe('PublishRetry on a single Redis', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['error', 'warn', 'log']));

  it('sends at once while the link is up', async () => {
    const { state, send, isReady, shards } = link();
    const retry = new PublishRetry(send, isReady, shards, options);
    await retry.publish('c', 'a');
    expect(state.sent).toEqual(['a']);
    expect(retry.held).toEqual({ failures: 0, waiting: 0 });
  });

  it('holds what failed and what came after it, then sends all in publish order after the grace period', async () => {
    const { state, send, isReady, shards } = link();
    const retry = new PublishRetry(send, isReady, shards, options);
    await retry.publish('c', '1');
    // In flight when the link breaks, then refused while it is down.
    state.up = false;
    await Promise.all([retry.publish('c', '2'), retry.publish('d', '3')]);
    expect(retry.held).toEqual({ failures: 2, waiting: 2 });
    state.up = true;
    retry.linkReady();
    // Newer ones queue behind the held ones, even with the link up, whatever their channel.
    await retry.publish('e', '4');
    expect(state.sent).toEqual(['1']);
    await sleep(80);
    await tick();
    expect(state.sent).toEqual(['1', '2', '3', '4']);
    expect(retry.held).toEqual({ failures: 3, waiting: 0 });
    await retry.publish('c', '5');
    expect(state.sent.at(-1)).toBe('5');
    retry.close();
  });

  it('keeps at most maxWaiting, dropping the oldest', async () => {
    const { state, send, isReady, shards } = link();
    const retry = new PublishRetry(send, isReady, shards, { ...options, graceMs: 0 });
    state.up = false;
    for (const m of ['1', '2', '3', '4', '5']) {
      await retry.publish('c', m);
    }
    expect(retry.held.waiting).toBe(3);
    state.up = true;
    retry.linkReady();
    await sleep(10);
    expect(state.sent).toEqual(['3', '4', '5']);
    retry.close();
  });
});

describe('PublishRetry on a Redis Cluster', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['error', 'warn', 'log']));

  it("holds a dead master's publishes while the others' go out live, then sends them in order once it is back", async () => {
    const c = cluster({ 1: 'A', 2: 'A', 3: 'B' });
    const retry = new PublishRetry(c.send, () => true, c.shards, { ...options, maxWaiting: 100 });
    c.down.add('A');
    await retry.publish('1/alice', 'a1');
    // A is known to be away: its other slots wait without trying it.
    await retry.publish('2/bob', 'a2');
    await retry.publish('3/carol', 'b1');
    expect(c.sent).toEqual(['b1']);
    expect(c.attempted).toEqual(['a1', 'b1']);
    expect(retry.held).toEqual({ failures: 2, waiting: 2 });

    await sleep(30);
    await retry.publish('3/carol', 'b2');
    expect(c.sent).toEqual(['b1', 'b2']);

    c.down.delete('A');
    await sleep(20); // A answers a probe: its grace period begins
    await retry.publish('1/alice', 'a3'); // behind the held ones, not before
    await retry.publish('3/carol', 'b3');
    expect(c.sent).toEqual(['b1', 'b2', 'b3']);
    await sleep(70);
    await tick();
    expect(c.sent).toEqual(['b1', 'b2', 'b3', 'a1', 'a2', 'a3']);
    expect(retry.held).toEqual({ failures: 3, waiting: 0 });

    await retry.publish('2/bob', 'a4');
    expect(c.sent.at(-1)).toBe('a4');
    retry.close();
  });

  it('puts publishes that fail in flight back in their order, and lets the healthy ones through meanwhile', async () => {
    const c = cluster({ 1: 'A', 3: 'B' }, 20);
    const retry = new PublishRetry(c.send, () => true, c.shards, { ...options, maxWaiting: 100 });
    c.down.add('A');
    // Sent before anything failed: all three are in flight to the dead master together.
    const inFlight = ['x1', 'x2', 'x3'].map((m) => retry.publish('1/alice', m));
    await retry.publish('3/carol', 'b1');
    await Promise.all(inFlight);
    expect(c.sent).toEqual(['b1']);
    expect(retry.held.waiting).toBe(3);

    c.down.delete('A');
    await sleep(100);
    await tick();
    expect(c.sent).toEqual(['b1', 'x1', 'x2', 'x3']);
    retry.close();
  });

  it('keeps a slot that moved to a live master behind its held publishes, then sends them there in order', async () => {
    const c = cluster({ 1: 'A', 2: 'A', 3: 'B' });
    const retry = new PublishRetry(c.send, () => true, c.shards, { ...options, maxWaiting: 100 });
    c.down.add('A');
    await retry.publish('1/alice', 'm1');
    // A replica on B takes slot 1 over; A stays dead (and keeps slot 2).
    c.owners[1] = 'B';
    await retry.publish('1/alice', 'm2');
    await retry.publish('2/bob', 'a1');
    expect(c.sent).toEqual([]);
    await sleep(100);
    await tick();
    expect(c.sent).toEqual(['m1', 'm2']);
    await retry.publish('1/alice', 'm3');
    expect(c.sent).toEqual(['m1', 'm2', 'm3']);
    expect(retry.held.waiting).toBe(1); // a1, for A

    c.down.delete('A');
    await sleep(100);
    await tick();
    expect(c.sent).toEqual(['m1', 'm2', 'm3', 'a1']);
    retry.close();
  });

  it('bounds the buffer over every master together, dropping the oldest', async () => {
    const c = cluster({ 1: 'A', 2: 'B' });
    const retry = new PublishRetry(c.send, () => true, c.shards, options);
    c.down.add('A');
    c.down.add('B');
    for (const [channel, m] of [
      ['1/alice', 'a1'],
      ['2/bob', 'b1'],
      ['1/alice', 'a2'],
      ['2/bob', 'b2'],
    ]) {
      await retry.publish(channel, m);
    }
    expect(retry.held).toEqual({ failures: 4, waiting: 3 });
    c.down.clear();
    await sleep(100);
    await tick();
    expect([...c.sent].sort()).toEqual(['a2', 'b1', 'b2']);
    retry.close();
  });
});
