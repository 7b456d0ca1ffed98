import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Subjects } from '@lib/contracts';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { TaskReminders } from './send-task-reminders';

@Injectable()
export class SendTaskRemindersHandler {
  private readonly reminders: TaskReminders;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.reminders = new TaskReminders(dataSource);
  }

  @EventPattern(Subjects.SendTaskReminders)
  async handle(_payload: Record<string, never>, ctx: JobContext): Promise<void> {
    const report = await this.reminders.remindAll(new Date(), () => ctx.working());
    this.logger.info(report, 'task reminders queued');
  }
}
