import { IsString } from 'class-validator';
import { validatePayload } from './validation.js';

class Dto {
  @IsString()
  name: string;
}

const nested = (depth: number): unknown => {
  let value: unknown = null;
  for (let i = 0; i < depth; i++) {
    value = [value];
  }
  return value;
};

const refusal = (payload: unknown) => {
  try {
    validatePayload(Dto, payload);
    return null;
  } catch (error) {
    return (error as { details?: string[] }).details;
  }
};

describe('validatePayload', () => {
  it('validates a payload of the right shape against the DTO', () => {
    expect(validatePayload(Dto, { name: 'x' })).toEqual(Object.assign(new Dto(), { name: 'x' }));
    expect(refusal({ name: 7 })).toEqual(['name must be a string']);
  });

  it('refuses deep nesting before transforming it (15,000 levels overflowed the stack)', () => {
    expect(refusal({ name: 'x', extra: nested(15_000) })).toEqual([
      'payload must not nest deeper than 8 levels',
    ]);
    expect(refusal({ name: 'x', extra: nested(7) })).toEqual(['extra: property extra should not exist']);
  });

  it('refuses a long array before transforming it', () => {
    expect(refusal({ name: 'x', extra: new Array(30_000).fill(0) })).toEqual([
      'payload arrays must hold at most 1000 items',
    ]);
  });

  it.each(['constructor', '__proto__', 'hasOwnProperty', 'isPrototypeOf', '__lookupGetter__', 'toString'])(
    'refuses a field named %s, which the whitelist alone lets through or drops',
    (key) => {
      expect(refusal(JSON.parse(`{"name": "x", "${key}": 1}`))).toEqual([`property ${key} should not exist`]);
    },
  );
});
