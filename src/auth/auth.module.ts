import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { BroadcastModule } from '../realtime/broadcast.module.js';
import { AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { Authenticator } from './authenticator.js';
import { CredentialsRepository } from './credentials.repository.js';
import { TokenService } from './token.service.js';

@Module({
  imports: [BroadcastModule],
  controllers: [AuthController],
  providers: [
    TokenService,
    Authenticator,
    CredentialsRepository,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [TokenService, Authenticator],
})
export class AuthModule {}
