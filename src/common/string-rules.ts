import { applyDecorators } from '@nestjs/common';
import { IsString, Matches, ValidateBy, buildMessage } from 'class-validator';

/**
 * Text Postgres can store exactly as sent. It cannot hold U+0000, and a lone
 * UTF-16 surrogate would be stored as U+FFFD, changing the text (and making
 * an identical retry look like a conflict); both are refused up front.
 */
// In a `u` regex a well-formed surrogate pair is one code point, so
// \p{Surrogate} only matches halves that have lost their partner.
const UNPAIRED_SURROGATE = /\p{Surrogate}/u;

export const StorableText = () =>
  ValidateBy({
    name: 'storableText',
    validator: {
      validate: (value: unknown) =>
        typeof value !== 'string' || (!value.includes('\u0000') && !UNPAIRED_SURROGATE.test(value)),
      defaultMessage: buildMessage(
        (each) => `${each}$property must not contain NUL characters or unpaired surrogates`,
      ),
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

/** The `roomId` of a socket payload. */
export const IsRoomId = () =>
  applyDecorators(IsString(), Matches(ID_PATTERN, { message: 'roomId must be a room id' }));
