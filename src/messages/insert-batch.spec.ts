import { insertBatchParameters, type NewMessage } from './insert-batch.js';

const message = (messageId: string, roomId: string, membersVersion = 0): NewMessage => ({
  messageId,
  roomId,
  senderId: `sender-of-${messageId}`,
  content: `content of ${messageId}`,
  membersVersion,
});

describe('insertBatchParameters', () => {
  it('numbers each message among the messages of its room and counts them per room', () => {
    const [ids, rooms, senders, contents, positions, distinctRooms, counts, versions] = insertBatchParameters(
      [
        message('a', 'r2', 4),
        message('b', 'r1', 0),
        message('c', 'r2', 4),
        message('d', 'r3', 7),
        message('e', 'r2', 4),
      ],
    );
    expect(ids).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(rooms).toEqual(['r2', 'r1', 'r2', 'r3', 'r2']);
    expect(senders).toEqual(['sender-of-a', 'sender-of-b', 'sender-of-c', 'sender-of-d', 'sender-of-e']);
    expect(contents).toEqual([
      'content of a',
      'content of b',
      'content of c',
      'content of d',
      'content of e',
    ]);
    expect(distinctRooms).toEqual(['r2', 'r1', 'r3']);
    expect(counts).toEqual([3, 1, 1]);
    expect(positions).toEqual([1, 1, 2, 1, 3]);
    expect(versions).toEqual([4, 0, 7]);
  });

  it('gives one message one room and position 1', () => {
    expect(insertBatchParameters([message('a', 'r')])).toEqual([
      ['a'],
      ['r'],
      ['sender-of-a'],
      ['content of a'],
      [1],
      ['r'],
      [1],
      [0],
    ]);
  });
});
