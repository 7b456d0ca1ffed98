import { Module } from '@nestjs/common';
import { OutboxRelayService } from '@lib/jetstream';

/** Scheduler: the cron table, delayed jobs and the outbox relay; it does no domain work itself. */
@Module({ providers: [OutboxRelayService] })
export class SchedulerModule {}
