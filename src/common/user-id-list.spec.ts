import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { UserIdList } from './user-id-list.js';

class Dto {
  @UserIdList({ min: 1, max: 3 })
  ids: unknown;
}

const problems = (ids: unknown) =>
  validateSync(plainToInstance(Dto, { ids })).flatMap((e) => Object.values(e.constraints ?? {}));

describe('UserIdList', () => {
  it('accepts distinct ids within the bounds', () => {
    expect(problems(['user_a', 'user_b'])).toEqual([]);
  });

  it.each([
    ['not an array', 'user_a', 'ids must be an array of user ids'],
    ['empty', [], 'ids must hold 1–3 user ids'],
    ['too long', ['a', 'b', 'c', 'd'], 'ids must hold 1–3 user ids'],
    ['a number', ['user_a', 7], 'ids must hold only user ids'],
    ['an id no user can have', ['user a'], 'ids must hold only user ids'],
    ['a repeat', ['user_a', 'user_b', 'user_a'], 'ids must not repeat a user'],
  ])('refuses a list that is %s, with one message', (_, ids, message) => {
    expect(problems(ids)).toEqual([message]);
  });

  it('refuses a list over the bound on its length, before looking at any entry', () => {
    expect(problems(['same', 'same', 'same', 'same'])).toEqual(['ids must hold 1–3 user ids']);
  });
});
