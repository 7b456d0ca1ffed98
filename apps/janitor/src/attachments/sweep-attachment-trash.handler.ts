import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects } from '@lib/contracts';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { AttachmentTrash } from './attachment-trash';

@Injectable()
export class SweepAttachmentTrashHandler {
  constructor(
    @Inject(AttachmentTrash) private readonly trash: AttachmentTrash,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.SweepAttachmentTrash)
  async handle(_payload: Record<string, never>, ctx: JobContext): Promise<void> {
    const report = await this.trash.sweep(() => ctx.working());
    this.logger.info(report, 'attachment trash swept');
  }
}
