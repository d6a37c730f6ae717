import { plainToInstance } from 'class-transformer';
import { IsDefined, IsString, ValidateNested, validateSync } from 'class-validator';
import { ACTION_TABLE, type ActionName, type AnyActionEntry } from '../realtime/action-table.js';
import { compileRuleCheck } from './rule-check.js';
import { validatorOptions } from './validation.js';

/** A payload each socket action accepts. */
const VALID: Record<ActionName, Record<string, unknown>> = {
  create_room: { participants: ['bob', 'carol'], name: 'Team' },
  create_message: {
    roomId: 'room-1',
    messageId: 'm_1',
    content: 'hello 👋',
    senderId: 'alice',
    createdAt: 1,
  },
  edit_message: { roomId: 'room-1', messageId: 'm_1', content: 'edited' },
  delete_message: { roomId: 'room-1', messageId: 'm_1' },
  add_participants: { roomId: 'room-1', participants: ['dave'] },
  leave_room: { roomId: 'room-1' },
  mark_read: { roomId: 'room-1', seq: 3 },
  typing: { roomId: 'room-1', typing: true },
};

/** Values that break one rule or another (or none, for some fields). */
const ODD_VALUES: unknown[] = [
  undefined,
  null,
  0,
  -1,
  1.5,
  2 ** 53,
  true,
  false,
  '',
  ' ',
  '\t\n',
  'x'.repeat(64),
  'x'.repeat(65),
  'y'.repeat(4000),
  'y'.repeat(4001),
  'a\u0000b',
  'a\ud800b',
  '👩\u200d💻',
  'bad id!',
  'ok-id_1',
  '\u202eadmin',
  [],
  ['bob'],
  ['bob', 'bob'],
  [1],
  Array.from({ length: 101 }, (_, n) => `u${n}`),
  {},
  { a: 1 },
  '3',
  3,
];

/** The valid payload, then each field missing, set to each odd value, and an unknown field. */
function corpus(valid: Record<string, unknown>): Record<string, unknown>[] {
  const payloads: Record<string, unknown>[] = [valid];
  for (const field of Object.keys(valid)) {
    const { [field]: _dropped, ...without } = valid;
    payloads.push(without);
    payloads.push(...ODD_VALUES.map((value) => ({ ...valid, [field]: value })));
  }
  payloads.push({ ...valid, extra: 1 }, { ...valid, action: 'create_message' });
  return payloads;
}

describe('compileRuleCheck', () => {
  const entries = Object.entries(ACTION_TABLE) as [ActionName, AnyActionEntry][];

  it.each(entries)('%s: passes exactly the payloads validateSync finds no error in', (name, { dto }) => {
    // Every action's rules are of the kinds it runs; one that is not would
    // fall back to validateSync for every payload, and this would say so.
    const check = compileRuleCheck(dto)!;
    expect(check).not.toBeNull();
    const verdicts = corpus(VALID[name]).map((payload) => {
      const instance = plainToInstance(dto, payload);
      return { payload, fast: check(instance), full: validateSync(instance, validatorOptions).length === 0 };
    });
    expect(verdicts.filter(({ fast, full }) => fast !== full)).toEqual([]);
    // Both verdicts occur: the comparison is not vacuous.
    expect(verdicts.some(({ full }) => full)).toBe(true);
    expect(verdicts.some(({ full }) => !full)).toBe(true);
  });

  it('leaves a class with a rule of a kind it does not run to validateSync', () => {
    class PerItem {
      @IsString({ each: true })
      tags: string[];
    }
    class Defined {
      @IsDefined()
      id: string;
    }
    class Grouped {
      @IsString({ groups: ['admin'] })
      note: string;
    }
    class Nested {
      @ValidateNested()
      inner: PerItem;
    }
    class Bare {
      field: string;
    }
    for (const dto of [PerItem, Defined, Grouped, Nested, Bare]) {
      expect(compileRuleCheck(dto)).toBeNull();
    }
  });
});
