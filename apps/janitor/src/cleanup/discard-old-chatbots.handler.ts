import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type DiscardOldChatbots, type PayloadOf } from '@lib/contracts';
import { EventPattern, LOGGER } from '@lib/jetstream';
import { DataSource } from 'typeorm';

/** Chatbots disabled (410 Gone, repeated failures) for long are moved to the trash; the group can restore them. */
@Injectable()
export class DiscardOldChatbotsHandler {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.DiscardOldChatbots)
  async handle({ disabledForDays }: PayloadOf<typeof DiscardOldChatbots>): Promise<void> {
    const [, discarded] = (await this.dataSource.query(
      `UPDATE chatbots SET discarded_at = now(), updated_at = now()
       WHERE discarded_at IS NULL AND disabled_at < now() - make_interval(days => $1)`,
      [disabledForDays],
    )) as [unknown, number];
    this.logger.info({ discarded, disabledForDays }, 'old disabled chatbots discarded');
  }
}
