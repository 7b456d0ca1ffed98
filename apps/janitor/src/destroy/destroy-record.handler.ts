import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type DestroyRecord, type PayloadOf } from '@lib/contracts';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { RecordDestruction } from './record-destruction';

@Injectable()
export class DestroyRecordHandler {
  constructor(
    @Inject(RecordDestruction) private readonly records: RecordDestruction,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.DestroyRecord)
  async handle({ table, id, actorId }: PayloadOf<typeof DestroyRecord>, ctx: JobContext): Promise<void> {
    const deleted = await this.records.destroyRecord(table, id, {
      afterBatch: () => ctx.working(),
      signal: ctx.signal,
    });
    this.logger.info(
      { table, id, actorId, deleted },
      Object.keys(deleted).length ? 'record destroyed' : 'unknown record; nothing to destroy',
    );
  }
}
