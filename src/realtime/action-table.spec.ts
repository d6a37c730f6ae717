import { ACTION_NAMES, ACTION_TABLE, findAction } from './action-table.js';

describe('the action table', () => {
  it('finds each entry by its own name', () => {
    expect(ACTION_NAMES).toEqual([
      'create_room',
      'create_message',
      'edit_message',
      'delete_message',
      'add_participants',
      'leave_room',
      'mark_read',
      'typing',
    ]);
    for (const name of ACTION_NAMES) {
      expect(findAction(name)).toBe(name);
    }
  });

  it('finds nothing for an unknown name, an inherited property or a non-string', () => {
    for (const name of [
      'delete_room',
      'toString',
      'constructor',
      '__proto__',
      'hasOwnProperty',
      '',
      42,
      null,
    ]) {
      expect(findAction(name)).toBeNull();
    }
  });

  it('names a success key for every entry', () => {
    expect(Object.values(ACTION_TABLE).map((entry) => entry.successKey)).toEqual([
      'room',
      'message',
      'message',
      'message',
      'room',
      'room',
      'read',
      'typing',
    ]);
  });
});
