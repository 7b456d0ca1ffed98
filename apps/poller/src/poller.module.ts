import { Module } from '@nestjs/common';

/** Poller: poll closing, closing-soon announcements and poll counts. Its handlers are added here as providers, one per subject. */
@Module({})
export class PollerModule {}
