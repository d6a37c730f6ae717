import { ChatError } from '../common/chat-error.js';
import { directKey, newParticipants, roomName, roomParticipants } from './participants.js';

describe('roomParticipants', () => {
  it('adds the caller first and keeps each user once', () => {
    expect(roomParticipants('user_a', ['user_b', 'user_a', 'user_c'])).toEqual([
      'user_a',
      'user_b',
      'user_c',
    ]);
  });

  it('needs someone besides the caller', () => {
    expect(() => roomParticipants('user_a', ['user_a'])).toThrow(ChatError);
    expect(() => roomParticipants('user_a', [])).toThrow(/at least one user besides you/);
  });

  it('allows 100 people in all, the caller included, and no more', () => {
    const ninetyNine = Array.from({ length: 99 }, (_, i) => `user_${i}`);
    expect(roomParticipants('user_me', ninetyNine)).toHaveLength(100);
    expect(() => roomParticipants('user_me', [...ninetyNine, 'user_extra'])).toThrow(/at most 100/);
  });
});

describe('directKey', () => {
  it('is the same for both orders of a pair', () => {
    expect(directKey(['user_b', 'user_a'])).toBe(directKey(['user_a', 'user_b']));
  });

  it('is null for rooms of three or more', () => {
    expect(directKey(['user_a', 'user_b', 'user_c'])).toBeNull();
  });
});

describe('roomName', () => {
  it('names rooms of three or more, and refuses a name for a direct room', () => {
    expect(roomName(['a', 'b', 'c'], 'Team')).toBe('Team');
    expect(roomName(['a', 'b', 'c'], undefined)).toBeNull();
    expect(roomName(['a', 'b'], null)).toBeNull();
    expect(() => roomName(['a', 'b'], 'Us')).toThrow(/direct room/);
  });
});

describe('newParticipants', () => {
  it('leaves out the people already present', () => {
    expect(newParticipants(['a', 'b', 'c'], ['b', 'd', 'd', 'e'])).toEqual(['d', 'e']);
    expect(newParticipants(['a', 'b', 'c'], ['a'])).toEqual([]);
  });

  it('allows 100 people in all and no more', () => {
    const ninetyNine = Array.from({ length: 99 }, (_, i) => `user_${i}`);
    expect(newParticipants(ninetyNine, ['user_99', 'user_0'])).toEqual(['user_99']);
    expect(() => newParticipants(ninetyNine, ['user_99', 'user_100'])).toThrow(/at most 100/);
  });
});
