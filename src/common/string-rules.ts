import { Transform } from 'class-transformer';
import { ValidateBy, buildMessage } from 'class-validator';

/** Trims strings and leaves anything else for the type check to reject. */
export const Trim = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/**
 * Postgres text cannot hold U+0000, so it is refused up front with a clear
 * error instead of failing deep in the driver.
 */
export const NoNulCharacters = () =>
  ValidateBy({
    name: 'noNulCharacters',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || !value.includes('\u0000'),
      defaultMessage: buildMessage((each) => `${each}$property must not contain NUL characters`),
    },
  });

/** Non-empty once surrounding white space is ignored; the value is kept as sent. */
export const NotBlank = () =>
  ValidateBy({
    name: 'notBlank',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && value.trim().length > 0,
      defaultMessage: buildMessage((each) => `${each}$property must not be blank`),
    },
  });

/** Ids are opaque strings; this only bounds them so junk is refused early. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
