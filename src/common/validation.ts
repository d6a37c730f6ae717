import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidatorOptions } from 'class-validator';
import { ChatError } from './chat-error.js';

const validatorOptions: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
};

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

/** The HTTP pipe: the same rules and messages as socket payload validation. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    ...validatorOptions,
    transform: true,
    exceptionFactory: (errors) => ChatError.validation(describeValidationErrors(errors)),
  });
}

/** Validates a socket payload against a request DTO class. */
export function validatePayload<T extends object>(dto: ClassConstructor<T>, payload: unknown): T {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw ChatError.validation(['payload must be a JSON object']);
  }
  const instance = plainToInstance(dto, payload);
  const errors = validateSync(instance, validatorOptions);
  if (errors.length > 0) {
    throw ChatError.validation(describeValidationErrors(errors));
  }
  return instance;
}
