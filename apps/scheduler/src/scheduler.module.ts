import { Module } from '@nestjs/common';
import { CronTable } from '@lib/contracts';
import { CRON_TABLE, CronService, OutboxRelayService } from '@lib/jetstream';

/** Scheduler: the cron table, delayed jobs and the outbox relay; it does no domain work itself. */
@Module({ providers: [{ provide: CRON_TABLE, useValue: CronTable }, CronService, OutboxRelayService] })
export class SchedulerModule {}
