import { ValidateBy } from 'class-validator';
import { ID_PATTERN } from './string-rules.js';

/**
 * A list of distinct user ids, checked in one linear pass with the cheap
 * bound first: a frame of thousands of entries is refused on its length
 * before any entry is looked at, and no check compares entries pairwise
 * (class-validator's ArrayUnique does, which let one 64 KiB frame hold the
 * event loop for ~100 ms). The first problem found is the one reported.
 */
export const UserIdList = ({ min, max }: { min: number; max: number }) =>
  ValidateBy({
    name: 'userIdList',
    validator: {
      validate: (value: unknown) => problemWith(value, min, max) === null,
      defaultMessage: (args) => `${args?.property} ${problemWith(args?.value, min, max)}`,
    },
  });

function problemWith(value: unknown, min: number, max: number): string | null {
  if (!Array.isArray(value)) {
    return 'must be an array of user ids';
  }
  if (value.length < min || value.length > max) {
    return `must hold ${min}–${max} user ids`;
  }
  const seen = new Set<string>();
  for (const id of value) {
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
      return 'must hold only user ids';
    }
    if (seen.has(id)) {
      return 'must not repeat a user';
    }
    seen.add(id);
  }
  return null;
}
