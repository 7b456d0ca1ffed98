import { Module } from '@nestjs/common';

/** Scheduler: the cron table, delayed jobs and the outbox relay. Its handlers are added here as providers, one per subject. */
@Module({})
export class SchedulerModule {}
