import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidatorOptions } from 'class-validator';
import { ChatError } from './chat-error.js';
import { compileRuleCheck, type RuleCheck } from './rule-check.js';

export const validatorOptions: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
};

/**
 * Bounds every payload keeps, checked before it is transformed. No request of
 * the contract nests deeper or holds a longer array (the longest is a room's
 * 100 participants); past them, transforming alone costs: a 64 KiB frame of
 * 30,000 numbers took 5–50 ms, and `[[[…]]]` 15,000 deep overflowed the stack.
 */
const MAX_DEPTH = 8;
const MAX_ARRAY_ITEMS = 1_000;

/**
 * Field names the whitelist misses, refused here as any unknown field is
 * instead of accepted: class-transformer drops `__proto__` and
 * `constructor` without a word (it guards the prototype), and
 * class-validator looks the others up in a plain object, where
 * Object.prototype answers for `hasOwnProperty`, `isPrototypeOf` and the
 * rest.
 */
const UNSEEN_KEYS = Object.getOwnPropertyNames(Object.prototype);

/** What is wrong with the payload's shape, in one pass that stops at the first problem. */
function shapeProblem(payload: unknown): string | null {
  const pending: [unknown, number][] = [[payload, 0]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, depth] = next;
    if (typeof value !== 'object' || value === null) {
      continue;
    }
    if (depth >= MAX_DEPTH) {
      return `payload must not nest deeper than ${MAX_DEPTH} levels`;
    }
    const children = Array.isArray(value) ? value : Object.values(value);
    if (Array.isArray(value) && value.length > MAX_ARRAY_ITEMS) {
      return `payload arrays must hold at most ${MAX_ARRAY_ITEMS} items`;
    }
    const unseen = UNSEEN_KEYS.find((key) => Object.hasOwn(value, key));
    if (unseen !== undefined) {
      return `property ${unseen} should not exist`;
    }
    for (const child of children) {
      pending.push([child, depth + 1]);
    }
  }
  return null;
}

function assertShape(payload: unknown): void {
  const problem = shapeProblem(payload);
  if (problem !== null) {
    throw ChatError.validation([problem]);
  }
}

/** "participants.0 must be a string", one line per failed rule. */
function describeValidationErrors(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const path = prefix + error.property;
    const own = Object.values(error.constraints ?? {}).map((m) =>
      m.startsWith(error.property) ? path + m.slice(error.property.length) : `${path}: ${m}`,
    );
    return [...own, ...describeValidationErrors(error.children ?? [], `${path}.`)];
  });
}

/** The HTTP pipe: the same bounds, rules and messages as socket payload validation. */
class ChatValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    assertShape(value);
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new ChatValidationPipe({
    ...validatorOptions,
    transform: true,
    exceptionFactory: (errors) => ChatError.validation(describeValidationErrors(errors)),
  });
}

/** Per DTO class, its rules looked up once (null: validateSync every time). */
const ruleChecks = new Map<ClassConstructor<object>, RuleCheck | null>();

function passesRules(dto: ClassConstructor<object>, instance: object): boolean {
  let check = ruleChecks.get(dto);
  if (check === undefined) {
    check = compileRuleCheck(dto);
    ruleChecks.set(dto, check);
  }
  return check !== null && check(instance);
}

/**
 * Validates a socket payload against a request DTO class. One that passes
 * every rule costs no validateSync (rule-check.ts); one that does not gets
 * its errors from it, worded as on HTTP.
 */
export function validatePayload<T extends object>(dto: ClassConstructor<T>, payload: unknown): T {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw ChatError.validation(['payload must be a JSON object']);
  }
  assertShape(payload);
  const instance = plainToInstance(dto, payload);
  if (passesRules(dto, instance)) {
    return instance;
  }
  const errors = validateSync(instance, validatorOptions);
  if (errors.length > 0) {
    throw ChatError.validation(describeValidationErrors(errors));
  }
  return instance;
}
