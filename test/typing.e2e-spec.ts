import { createRoom, history } from './factories/rooms.js';
import { createUser, type TestUser } from './factories/users.js';
import { startInstances, stopInstances, type Instance } from './setup/instances.js';
import { closeAllClients, connect, Inbox, request, sleep, type ChatClient } from './setup/sockets.js';

// §7: ephemeral typing indicators, throttled per user and room on every instance.
describe('typing', () => {
  let instances: Instance[];
  let alice: TestUser;
  let bob: TestUser;
  let eve: TestUser;
  let roomId: string;
  let aliceOne: ChatClient;
  let aliceTwo: ChatClient;
  let bobSocket: ChatClient;
  let aliceOneInbox: Inbox;
  let aliceTwoInbox: Inbox;
  let bobInbox: Inbox;
  let eveInbox: Inbox;

  const typingOf = (inbox: Inbox) => inbox.of('typing').filter((e) => e.roomId === roomId);

  beforeAll(async () => {
    instances = await startInstances(2);
    const [one, two] = instances.map((i) => i.url);
    [alice, bob, eve] = await Promise.all([
      createUser(one, 'Alice'),
      createUser(two, 'Bob'),
      createUser(one, 'Eve'),
    ]);
    roomId = (await createRoom(one, alice, [bob])).id;
    aliceOne = await connect(one, alice.token);
    aliceTwo = await connect(two, alice.token);
    bobSocket = await connect(two, bob.token);
    [aliceOneInbox, aliceTwoInbox, bobInbox, eveInbox] = [
      aliceOne,
      aliceTwo,
      bobSocket,
      await connect(two, eve.token),
    ].map((s) => new Inbox(s));
  });
  afterAll(async () => {
    closeAllClients();
    await stopInstances(instances);
  });

  it('tells the other participants on another instance, never the typist’s own sockets, and stores nothing', async () => {
    const ack = await request(aliceOne, 'typing', { roomId, typing: true });
    expect(ack).toEqual({ status: 'success', typing: { roomId, userId: alice.id, typing: true } });
    expect(await bobInbox.waitFor('typing')).toEqual({
      type: 'typing',
      roomId,
      userId: alice.id,
      typing: true,
    });
    await sleep(200);
    expect([...typingOf(aliceOneInbox), ...typingOf(aliceTwoInbox), ...eveInbox.of('typing')]).toEqual([]);
    expect(await history(instances[0].url, alice, roomId)).toEqual([]);
  });

  it('sends at most one typing: true per user and room every 2 s across instances; the extra ones are acked', async () => {
    const repeat = (await request(aliceTwo, 'typing', { roomId, typing: true })) as any;
    expect(repeat.status).toBe('success');
    await sleep(300);
    expect(typingOf(bobInbox)).toHaveLength(1);
    await sleep(2_000);
    await request(aliceTwo, 'typing', { roomId, typing: true });
    await bobInbox.waitFor('typing', () => typingOf(bobInbox).length === 2);
  });

  it('always sends typing: false; a typing: true after it still waits for the 2 s window', async () => {
    await sleep(2_000); // whatever window an earlier test opened is over
    const before = typingOf(bobInbox).length;
    await request(aliceOne, 'typing', { roomId, typing: true }); // opens a window
    await request(aliceOne, 'typing', { roomId, typing: false });
    const hush = (await request(aliceTwo, 'typing', { roomId, typing: true })) as any;
    expect(hush.status).toBe('success');
    await request(aliceOne, 'typing', { roomId, typing: false });
    await bobInbox.waitFor('typing', () => typingOf(bobInbox).length === before + 3);
    expect(
      typingOf(bobInbox)
        .slice(before)
        .map((e) => e.typing),
    ).toEqual([true, false, false]);
    await sleep(2_000);
    await request(aliceTwo, 'typing', { roomId, typing: true });
    await bobInbox.waitFor('typing', () => typingOf(bobInbox).length === before + 4);
    expect(typingOf(bobInbox).at(-1)?.typing).toBe(true);
  });

  it.each([
    ['typing not a boolean', { typing: 'yes' }, 'validation_failed'],
    ['typing missing', {}, 'validation_failed'],
    ['an unknown field', { typing: true, seq: 1 }, 'validation_failed'],
    ['an unknown room', { roomId: 'room_nope', typing: true }, 'not_found'],
    ['a bad room id', { roomId: 'no such id!', typing: true }, 'validation_failed'],
  ])('refuses %s and sends nothing', async (_, body, code) => {
    const before = typingOf(bobInbox).length;
    const ack = (await request(bobSocket, 'typing', { roomId, ...body })) as any;
    expect(ack.error.code).toBe(code);
    await sleep(100);
    expect(typingOf(bobInbox)).toHaveLength(before);
    expect(typingOf(aliceOneInbox)).toEqual([]);
  });

  it('refuses a stranger with forbidden', async () => {
    const eveSocket = await connect(instances[1].url, eve.token);
    const ack = (await request(eveSocket, 'typing', { roomId, typing: true })) as any;
    expect(ack.error.code).toBe('forbidden');
    await sleep(100);
    expect(typingOf(aliceOneInbox)).toEqual([]);
  });
});
