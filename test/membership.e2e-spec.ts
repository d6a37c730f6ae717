import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { MessageResponse } from '../src/messages/message.response.js';
import { postMessage } from './factories/rooms.js';
import { auth, createUser } from './factories/users.js';
import { startInstances, stopInstances, type Instance } from './setup/instances.js';
import { closeAllClients, connect, errorAck, Inbox, request as emit, sleep } from './setup/sockets.js';
import { waitUntil } from './setup/wait.js';

/**
 * §10's hardest promise: membership is exact on every instance at once.
 * Sender, leaver and the others sit on three different instances, each of
 * which has read the room's membership before (so each remembers it), and
 * the sender keeps sending and editing while one person leaves and another
 * is added. Postgres and this process share the host's clock, so a message
 * whose `createdAt` (or an edit whose `editedAt`) is later than the moment
 * an acknowledgement arrived here was committed after it.
 */
describe('exact membership across three instances (§10)', () => {
  let instances: Instance[];
  let urls: string[];

  beforeAll(async () => {
    instances = await startInstances(3, { RATE_LIMIT_PER_SECOND: '10000', RATE_LIMIT_BURST: '10000' });
    urls = instances.map((i) => i.url);
  });
  afterAll(async () => {
    closeAllClients();
    await stopInstances(instances);
  });

  it('delivers nothing committed after a leave is acked to the leaver, and everything committed after an add is acked to the newcomer, while sends race both', async () => {
    const [one, two, three] = urls;
    const [sender, leaver, other, newcomer] = await Promise.all([
      createUser(one, 'Sender'),
      createUser(two, 'Leaver'),
      createUser(three, 'Other'),
      createUser(two, 'Newcomer'),
    ]);
    const room = (
      await request(one)
        .post('/rooms')
        .set(auth(sender))
        .send({ participants: [leaver.id, other.id] })
        .expect(201)
    ).body as { id: string };
    // Every instance reads and remembers the membership with the leaver in it.
    for (const url of urls) {
      await postMessage(url, sender, room.id, `warm-up through ${url}`);
    }
    const senderSocket = await connect(one, sender.token);
    const leaverSocket = await connect(two, leaver.token);
    const leaverInboxes = [new Inbox(leaverSocket), new Inbox(await connect(three, leaver.token))];
    const otherSocket = await connect(three, other.token);
    const otherInbox = new Inbox(otherSocket);
    const newcomerInboxes = [
      new Inbox(await connect(two, newcomer.token)),
      new Inbox(await connect(one, newcomer.token)),
    ];

    // The sender sends (and now and then edits) through instance one, four at a time.
    const sent: MessageResponse[] = [];
    let sending = true;
    const senders = Array.from({ length: 4 }, async (_, lane) => {
      for (let n = 0; sending; n++) {
        const ack = (await emit(senderSocket, 'create_message', {
          roomId: room.id,
          messageId: randomUUID(),
          content: `lane ${lane} #${n}`,
        })) as any;
        expect(ack.status).toBe('success');
        sent.push(ack.message);
        if (n % 5 === 4) {
          const edit = (await emit(senderSocket, 'edit_message', {
            roomId: room.id,
            messageId: ack.message.messageId,
            content: `lane ${lane} #${n}, edited`,
          })) as any;
          expect(edit.status).toBe('success');
        }
        await sleep(5);
      }
    });

    await sleep(400);
    // The leaver leaves through instance two...
    const left = (await emit(leaverSocket, 'leave_room', { roomId: room.id })) as any;
    const leftAckedAt = Date.now();
    expect(left.status).toBe('success');
    // ...and at once finds the door shut on the others (instance one, which
    // the sender uses, is asked after the sends: asking reads Postgres).
    const shut = async (url: string) => {
      await request(url).get(`/rooms/${room.id}/messages`).set(auth(leaver)).expect(403);
      await request(url)
        .post(`/rooms/${room.id}/messages`)
        .set(auth(leaver))
        .send({ messageId: randomUUID(), content: 'still here?' })
        .expect(403);
    };
    await shut(two);
    await shut(three);
    await sleep(400);
    // The other participant adds someone through instance three...
    const added = (await emit(otherSocket, 'add_participants', {
      roomId: room.id,
      participants: [newcomer.id],
    })) as any;
    const addAckedAt = Date.now();
    expect(added.status).toBe('success');
    // ...who can at once send through instance one, which knew the room without them.
    const greeting = await postMessage(one, newcomer, room.id, 'hello all');
    await sleep(400);
    sending = false;
    await Promise.all(senders);
    await shut(one);

    // Everyone still in the room heard everything sent while it listened.
    await waitUntil(
      () =>
        [...sent, greeting].every((m) =>
          otherInbox.of('message_created').some((e) => e.message.messageId === m.messageId),
        ),
      10_000,
      'the other participant heard every message',
    );
    const after = (at: number) => (m: MessageResponse) => Date.parse(m.createdAt) > at;
    const sentAfterLeave = sent.filter(after(leftAckedAt));
    const sentAfterAdd = [...sent, greeting].filter(after(addAckedAt));
    // The race was real: messages flowed before and after each acknowledgement.
    expect(sent.filter((m) => !after(leftAckedAt)(m)).length).toBeGreaterThan(3);
    expect(sentAfterLeave.length).toBeGreaterThan(10);
    expect(sentAfterAdd.length).toBeGreaterThan(5);

    // The leaver heard nothing committed after its leave was acknowledged, on either socket.
    await sleep(300);
    for (const inbox of leaverInboxes) {
      const heard = inbox.of('message_created').map((e) => e.message as MessageResponse);
      expect(heard.filter(after(leftAckedAt)).map((m) => m.content)).toEqual([]);
      const edits = inbox.of('message_updated').map((e) => e.message as MessageResponse);
      expect(edits.filter((m) => Date.parse(m.editedAt!) > leftAckedAt).map((m) => m.content)).toEqual([]);
      expect(heard.length).toBeGreaterThan(0); // it did hear the room before
    }
    // The newcomer heard everything committed after its add was acknowledged, on both sockets.
    for (const inbox of newcomerInboxes) {
      await waitUntil(
        () =>
          sentAfterAdd.every((m) =>
            inbox.of('message_created').some((e) => e.message.messageId === m.messageId),
          ),
        10_000,
        'the newcomer heard every message sent after the add',
      );
    }
    expect(
      (await emit(leaverSocket, 'create_message', {
        roomId: room.id,
        messageId: 'late',
        content: 'x',
      })) as any,
    ).toEqual(errorAck('forbidden'));
  });
});
