import { IsOptional, IsString, IsUrl, Length, MaxLength } from 'class-validator';
import { StorableText, VisibleName } from '../../common/string-rules.js';
import { Trim } from '../../common/transforms.js';

export class CreateUserDto {
  @Trim()
  @IsString()
  @Length(1, 64)
  @StorableText()
  @VisibleName()
  name: string;

  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  avatar?: string | null;
}
