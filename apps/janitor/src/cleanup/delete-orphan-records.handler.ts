import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects } from '@lib/contracts';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { OrphanSweep } from './orphan-sweep';

@Injectable()
export class DeleteOrphanRecordsHandler {
  constructor(
    @Inject(OrphanSweep) private readonly orphans: OrphanSweep,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.DeleteOrphanRecords)
  async handle(_payload: unknown, ctx: JobContext): Promise<void> {
    const deleted = await this.orphans.sweep({ afterBatch: () => ctx.working(), signal: ctx.signal });
    this.logger.info({ deleted }, 'orphan records swept');
  }
}
