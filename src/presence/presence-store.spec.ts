import { LocalPresenceStore, type PresenceChange } from './presence-store.js';

describe('LocalPresenceStore', () => {
  const watch = () => {
    const store = new LocalPresenceStore();
    const changes: Pick<PresenceChange, 'userId' | 'online'>[] = [];
    store.onChange(({ userId, online }) => changes.push({ userId, online }));
    return { store, changes };
  };

  it('reports a user online at the first socket and offline at the last', async () => {
    const { store, changes } = watch();
    store.socketConnected('alice');
    store.socketConnected('alice');
    expect(await store.onlineAmong(['alice', 'bob'])).toEqual(new Set(['alice']));
    store.socketDisconnected('alice');
    expect(changes).toEqual([{ userId: 'alice', online: true }]);
    store.socketDisconnected('alice');
    expect(changes).toEqual([
      { userId: 'alice', online: true },
      { userId: 'alice', online: false },
    ]);
    expect(await store.onlineAmong(['alice'])).toEqual(new Set());
  });

  it('takes everyone offline when the instance leaves', async () => {
    const { store, changes } = watch();
    store.socketConnected('alice');
    store.socketConnected('bob');
    await store.leave();
    expect(changes.filter((c) => !c.online).map((c) => c.userId)).toEqual(['alice', 'bob']);
    expect(await store.onlineAmong(['alice', 'bob'])).toEqual(new Set());
  });
});
