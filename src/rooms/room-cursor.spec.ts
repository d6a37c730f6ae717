import { decodeRoomCursor, encodeRoomCursor } from './room-cursor.js';

describe('room cursors', () => {
  it.each(['2026-11-27T07:40:01.123456Z', '2024-02-29T23:59:59.999999Z', '0001-01-01T00:00:00.000000Z'])(
    'round-trip the activity time %s to the microsecond, and the room id',
    (activityAt) => {
      const cursor = { activityAt, id: 'room_abc' };
      expect(decodeRoomCursor(encodeRoomCursor(cursor))).toEqual(cursor);
    },
  );

  it.each([
    ['garbage', 'bm90IGEgY3Vyc29y'],
    ['a time without microseconds', Buffer.from('2026-11-27T07:40:01Z room_abc').toString('base64url')],
    ['a bad room id', Buffer.from('2026-11-27T07:40:01.123456Z room;drop').toString('base64url')],
    ['extra parts', Buffer.from('2026-11-27T07:40:01.123456Z room_abc x').toString('base64url')],
    ['a month 13', Buffer.from('2026-13-01T07:40:01.123456Z room_abc').toString('base64url')],
    ['a 30 February', Buffer.from('2026-02-30T07:40:01.123456Z room_abc').toString('base64url')],
    ['the hour 24', Buffer.from('2026-01-01T24:00:00.000000Z room_abc').toString('base64url')],
    ['the year 0', Buffer.from('0000-01-01T00:00:00.000000Z room_abc').toString('base64url')],
  ])('refuse %s with validation_failed', (_, cursor) => {
    expect(() => decodeRoomCursor(cursor)).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });
});
