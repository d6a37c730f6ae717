import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUrl, Length, MaxLength } from 'class-validator';
import { StorableText, VisibleName } from '../../common/string-rules.js';
import { Trim } from '../../common/transforms.js';

export class CreateUserDto {
  @ApiProperty({ minLength: 1, maxLength: 64, description: 'Stored trimmed; visible text', example: 'Alice' })
  @Trim()
  @IsString()
  @Length(1, 64)
  @StorableText()
  @VisibleName()
  name: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 2048,
    description: 'An http(s) URL',
    example: 'https://example.com/avatar/alice.png',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  @StorableText() // a URL may carry what Postgres cannot store: isURL lets a NUL through
  avatar?: string | null;
}
