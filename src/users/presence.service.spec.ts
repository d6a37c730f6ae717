import type { AppConfig } from '../config/app-config.js';
import { LocalPresenceStore } from '../presence/presence-store.js';
import type { Broadcaster } from '../realtime/broadcaster.js';
import type { PresenceEvent } from '../realtime/events.js';
import { waitUntil } from '../../test/setup/wait.js';
import { PresenceService } from './presence.service.js';
import type { UsersRepository } from './users.repository.js';

/** The service over an in-process store, a repository that records writes and a broadcaster that records sends. */
function setUp({ failures = 0 } = {}) {
  const store = new LocalPresenceStore();
  const steps: string[] = [];
  const sent: { event: PresenceEvent; to: readonly string[] }[] = [];
  let failing = failures;
  const users = {
    setLastSeen: (userId: string, at: Date) => {
      if (failing-- > 0) {
        steps.push(`failed ${userId}`);
        return Promise.reject(new Error('Connection terminated'));
      }
      steps.push(`stored ${userId} ${at.toISOString()}`);
      return Promise.resolve(at);
    },
    roomMateIds: () => Promise.resolve(['bob', 'carol']),
  } as unknown as UsersRepository;
  const broadcaster = {
    presence: (event: PresenceEvent, to: readonly string[]) => {
      steps.push(`sent ${event.userId} ${event.online}`);
      sent.push({ event, to });
    },
  } as unknown as Broadcaster;
  const service = new PresenceService(store, users, broadcaster, { maxSocketsPerUser: 2 } as AppConfig);
  service.onModuleInit();
  return { store, service, steps, sent };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('PresenceService', () => {
  it("tells the user's room-mates, and stores the departure before saying so", async () => {
    const { service, steps, sent } = setUp();
    service.socketConnected('alice');
    await settle();
    service.socketDisconnected('alice');
    await service.handOver();
    expect(sent).toEqual([
      { event: { type: 'presence', userId: 'alice', online: true, lastSeenAt: null }, to: ['bob', 'carol'] },
      {
        event: { type: 'presence', userId: 'alice', online: false, lastSeenAt: expect.any(String) },
        to: ['bob', 'carol'],
      },
    ]);
    expect(steps).toEqual([
      'sent alice true',
      `stored alice ${sent[1].event.lastSeenAt}`,
      'sent alice false',
    ]);
  });

  it('sends nothing for a change that is no longer true, and keeps one user’s changes in order', async () => {
    const { service, sent } = setUp();
    // Online then offline before either is announced: only the last holds.
    service.socketConnected('alice');
    service.socketDisconnected('alice');
    await service.handOver();
    expect(sent.map((s) => s.event.online)).toEqual([false]);
  });

  it('tries an announcement again while Postgres does not answer, until it goes out', async () => {
    const { service, steps, sent } = setUp({ failures: 2 });
    service.socketConnected('alice');
    await settle();
    service.socketDisconnected('alice');
    await waitUntil(() => sent.length === 2, 3_000, 'the announcements');
    expect(steps).toEqual([
      'sent alice true',
      'failed alice',
      'failed alice',
      expect.stringMatching(/^stored/),
      'sent alice false',
    ]);
  });

  it('leaves an announcement it cannot make to a newer change of the user, which says how things are now', async () => {
    const { service, steps, sent } = setUp({ failures: 1 });
    service.socketConnected('alice');
    await settle();
    service.socketDisconnected('alice'); // fails, waits to be tried again…
    await waitUntil(() => steps.includes('failed alice'), 3_000, 'a failed attempt');
    service.socketConnected('alice'); // …and is overtaken: Alice is back
    await waitUntil(() => sent.length === 2, 3_000, 'the announcements');
    expect(sent.map((s) => s.event.online)).toEqual([true, true]);
    expect(steps.filter((step) => step.startsWith('stored'))).toEqual([]);
  });

  it('hands over at shutdown: users still connected go offline, announced before it resolves', async () => {
    const { service, sent } = setUp();
    service.socketConnected('alice');
    service.socketConnected('alice');
    await settle();
    await service.handOver();
    expect(sent.map((s) => [s.event.userId, s.event.online])).toEqual([
      ['alice', true],
      ['alice', false],
    ]);
  });

  it('admits at most MAX_SOCKETS_PER_USER sockets of a user at once, and one more after one leaves', async () => {
    const { service } = setUp();
    const admitted = [
      await service.admit('alice'),
      await service.admit('alice'),
      await service.admit('alice'),
    ];
    expect(admitted).toEqual([true, true, false]);
    expect(await service.admit('bob')).toBe(true);
    service.socketConnected('alice');
    service.socketDisconnected('alice');
    expect(await service.admit('alice')).toBe(true);
  });
});
