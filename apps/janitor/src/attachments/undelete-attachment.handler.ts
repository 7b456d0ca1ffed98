import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type PayloadOf, type UndeleteAttachment } from '@lib/contracts';
import { EventPattern, LOGGER, UnrecoverableError } from '@lib/jetstream';
import { AttachmentNotRestorableError, AttachmentTrash } from './attachment-trash';

@Injectable()
export class UndeleteAttachmentHandler {
  constructor(
    @Inject(AttachmentTrash) private readonly trash: AttachmentTrash,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.UndeleteAttachment)
  async handle({ key, actorId }: PayloadOf<typeof UndeleteAttachment>): Promise<void> {
    try {
      const outcome = await this.trash.restore(key);
      this.logger.info(
        { key, actorId, ...outcome },
        outcome.restored ? 'attachment restored' : 'attachment not deleted',
      );
    } catch (error) {
      if (error instanceof AttachmentNotRestorableError) throw new UnrecoverableError(error.message);
      throw error;
    }
  }
}
