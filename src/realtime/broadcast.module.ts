import { Module } from '@nestjs/common';
import { Broadcaster } from './broadcaster.js';

/** Kept apart from the gateway so domain modules can broadcast without a cycle. */
@Module({ providers: [Broadcaster], exports: [Broadcaster] })
export class BroadcastModule {}
