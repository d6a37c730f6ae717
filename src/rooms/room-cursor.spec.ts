import { decodeRoomCursor, encodeRoomCursor } from './room-cursor.js';

describe('room cursors', () => {
  it('round-trip the activity time to the microsecond and the room id', () => {
    const cursor = { activityAt: '2026-11-27T07:40:01.123456Z', id: 'room_abc' };
    expect(decodeRoomCursor(encodeRoomCursor(cursor))).toEqual(cursor);
  });

  it.each([
    ['garbage', 'bm90IGEgY3Vyc29y'],
    ['a time without microseconds', Buffer.from('2026-11-27T07:40:01Z room_abc').toString('base64url')],
    ['a bad room id', Buffer.from('2026-11-27T07:40:01.123456Z room;drop').toString('base64url')],
    ['extra parts', Buffer.from('2026-11-27T07:40:01.123456Z room_abc x').toString('base64url')],
  ])('refuse %s with validation_failed', (_, cursor) => {
    expect(() => decodeRoomCursor(cursor)).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });
});
