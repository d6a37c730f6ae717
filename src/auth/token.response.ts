import { ApiProperty } from '@nestjs/swagger';

/** `POST /auth/refresh`: a fresh token for a valid one. */
export class TokenResponse {
  @ApiProperty({ description: 'A fresh bearer token, valid for TOKEN_TTL from now' })
  token: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;
}
