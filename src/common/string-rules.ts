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

// Control, format (zero-width spaces and joiners, bidi overrides and
// isolates, BOM), private-use, unassigned and line/paragraph separators.
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u;
// Letters that render as blank space: the Hangul fillers and the blank braille pattern.
const BLANK_LETTERS = /[\u115F\u1160\u3164\uFFA0\u2800]/gu;
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;
// The one format character with a visible use: the zero-width joiner inside an
// emoji sequence (👩‍💻 is 👩, U+200D, 💻), between two pictographs.
const EMOJI_JOINER = /(?<=\p{Extended_Pictographic}\uFE0F?)\u200D(?=\p{Extended_Pictographic})/gu;

/**
 * A name people can see and cannot be fooled by (§5): no control or format
 * characters (a right-to-left override, U+202E, makes "Alice", U+202E, "nimda" read as
 * "Aliceadmin"),
 * and at least one character that shows.
 */
export const VisibleName = () =>
  ValidateBy({
    name: 'visibleName',
    validator: {
      validate: (value: unknown) =>
        typeof value !== 'string' ||
        (!INVISIBLE_OR_CONTROL.test(value.replace(EMOJI_JOINER, '')) &&
          VISIBLE.test(value.replace(BLANK_LETTERS, ''))),
      defaultMessage: buildMessage(
        (each) => `${each}$property must be visible text without control or format characters`,
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
