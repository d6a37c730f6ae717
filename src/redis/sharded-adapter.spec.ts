import { EventEmitter } from 'node:events';
import { jest } from '@jest/globals';
import { Adapter, type BroadcastOptions } from 'socket.io-adapter';
import { BackplaneCounters } from './backplane-counters.js';
import { ShardedUserAdapter, type ShardedUserAdapterOptions } from './sharded-adapter.js';
import type { ShardedSubscriber } from './cluster-shard-subscribers.js';

/** A subscriber link that only hands over what the test says Redis sent. */
class FakeSubscriber extends EventEmitter implements ShardedSubscriber {
  ssubscribe = () => Promise.resolve();
  sunsubscribe = () => Promise.resolve();

  /** One publish of another instance (by default always the same one), as the adapter reads it off the link. */
  deliver(head: object, packet?: unknown, from = 'x'.repeat(36)): void {
    const body = packet === undefined ? '' : `\n${JSON.stringify(packet)}`;
    const message = Buffer.from(`${from}${JSON.stringify(head)}${body}`);
    this.emit('smessageBuffer', Buffer.from('chat:{user:a}'), message);
  }
}

const nsp = { name: '/', server: { encoder: {} }, sockets: new Map() };
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('ShardedUserAdapter, receiving', () => {
  let sub: FakeSubscriber;
  let adapter: ShardedUserAdapter;
  let delivered: { what: string; rooms: string[] }[];

  beforeEach(async () => {
    sub = new FakeSubscriber();
    const noLoneUsers: ShardedUserAdapterOptions = {};
    adapter = new ShardedUserAdapter(nsp, () => Promise.resolve(), sub, new BackplaneCounters(), noLoneUsers);
    for (const [socket, user] of [
      ['s1', 'user:a'],
      ['s2', 'user:b'],
    ]) {
      await adapter.addAll(socket, new Set([user]));
    }
    delivered = [];
    const record = (what: string, opts: BroadcastOptions) =>
      delivered.push({ what, rooms: [...opts.rooms].sort() });
    jest
      .spyOn(Adapter.prototype, 'broadcast')
      .mockImplementation((packet, opts) => record((packet as { data: string[] }).data[0], opts));
    jest
      .spyOn(Adapter.prototype, 'disconnectSockets')
      .mockImplementation((opts) => record('disconnect', opts));
  });

  afterEach(() => jest.restoreAllMocks());

  const typing = (on: boolean) => ({ type: 2, data: [on ? 'typing on' : 'typing off'] });

  it('delivers the copies of one broadcast in one read from Redis (one per user) as one', async () => {
    sub.deliver({ u: ['user:a'], i: 1 }, { type: 2, data: ['message_created'] });
    sub.deliver({ u: ['user:b'], i: 1 }, { type: 2, data: ['message_created'] });
    await flush();
    expect(delivered).toEqual([{ what: 'message_created', rooms: ['user:a', 'user:b'] }]);
  });

  it('delivers every broadcast in its turn, even one that is the same bytes as another', async () => {
    sub.deliver({ u: ['user:b'], i: 1 }, typing(true));
    sub.deliver({ u: ['user:b'], i: 2 }, typing(false));
    sub.deliver({ u: ['user:b'], i: 3 }, typing(true));
    sub.deliver({ u: ['user:a'], i: 3 }, typing(true));
    sub.deliver({ u: ['user:a'], i: 1 }, typing(true), 'y'.repeat(36)); // another publisher's
    await flush();
    expect(delivered).toEqual([
      { what: 'typing on', rooms: ['user:b'] },
      { what: 'typing off', rooms: ['user:b'] },
      { what: 'typing on', rooms: ['user:a', 'user:b'] },
      { what: 'typing on', rooms: ['user:a'] },
    ]);
  });

  it('gathers nothing from a publisher that does not number its broadcasts (an older version)', async () => {
    sub.deliver({ u: ['user:a'] }, { type: 2, data: ['message_created'] });
    sub.deliver({ u: ['user:b'] }, { type: 2, data: ['message_created'] });
    await flush();
    expect(delivered).toEqual([
      { what: 'message_created', rooms: ['user:a'] },
      { what: 'message_created', rooms: ['user:b'] },
    ]);
  });

  it('keeps the order broadcasts first arrived in, and delivers what came before a disconnect before it', async () => {
    sub.deliver({ u: ['user:a'], i: 1 }, { type: 2, data: ['first'] });
    sub.deliver({ u: ['user:b'], i: 2 }, { type: 2, data: ['second'] });
    sub.deliver({ u: ['user:b'], i: 1 }, { type: 2, data: ['first'] });
    sub.deliver({ u: ['user:a'], i: 3, d: true });
    sub.deliver({ u: ['user:a'], i: 4 }, { type: 2, data: ['third'] });
    await flush();
    expect(delivered).toEqual([
      { what: 'first', rooms: ['user:a', 'user:b'] },
      { what: 'second', rooms: ['user:b'] },
      { what: 'disconnect', rooms: ['user:a'] },
      { what: 'third', rooms: ['user:a'] },
    ]);
  });

  it('leaves out users with no socket here', async () => {
    sub.deliver({ u: ['user:nobody'], i: 1 }, { type: 2, data: ['message_created'] });
    sub.deliver({ u: ['user:nobody', 'user:b'], i: 2 }, { type: 2, data: ['room_created'] });
    await flush();
    expect(delivered).toEqual([{ what: 'room_created', rooms: ['user:b'] }]);
  });
});
