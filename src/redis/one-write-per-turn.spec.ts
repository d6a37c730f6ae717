import { Redis } from 'ioredis';
import { oneWritePerTurn } from './one-write-per-turn.js';
import { countSystemWrites } from '../../test/setup/system-writes.js';

/** A real Redis link (the machine's, as the e2e suites use), its socket's system calls counted. */
describe('oneWritePerTurn', () => {
  let redis: Redis;
  let beforeSend: () => void;
  /** Calls that hand bytes to the kernel on the link's socket: one system call each. */
  let tcpWrites: { readonly count: number };

  beforeEach(async () => {
    redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
    await redis.connect();
    beforeSend = oneWritePerTurn(redis);
    const tcp = redis.stream;
    tcpWrites = countSystemWrites(tcp);
  });

  afterEach(() => redis.quit());

  const spublish = (channel: string) => {
    beforeSend();
    return redis.call('SPUBLISH', channel, 'packet');
  };

  it('sends the commands of one turn in one system call, each answered', async () => {
    const replies = Promise.all([spublish('a'), spublish('b'), spublish('c')]);
    expect(await replies).toEqual([0, 0, 0]);
    expect(tcpWrites.count).toBe(1);
  });

  it('includes what the turn sends from its promise jobs (publishes after a commit)', async () => {
    const first = spublish('a');
    const second = Promise.resolve().then(() => spublish('b'));
    expect(await Promise.all([first, second])).toEqual([0, 0]);
    expect(tcpWrites.count).toBe(1);
  });

  it('holds nothing past its turn: the next turn writes on its own', async () => {
    await spublish('a');
    await new Promise((resolve) => setImmediate(resolve));
    await spublish('b');
    expect(tcpWrites.count).toBe(2);
  });

  it('without it, each command is its own system call', async () => {
    await Promise.all(['a', 'b', 'c'].map((channel) => redis.call('SPUBLISH', channel, 'packet')));
    expect(tcpWrites.count).toBe(3);
  });
});
