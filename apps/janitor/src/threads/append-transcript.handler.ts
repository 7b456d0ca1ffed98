import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type AppendTranscript, type PayloadOf } from '@lib/contracts';
import { Inbox } from '@lib/db';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { TranscriptAppend } from './transcript-append';

@Injectable()
export class AppendTranscriptHandler {
  constructor(
    @Inject(TranscriptAppend) private readonly transcripts: TranscriptAppend,
    @Inject(Inbox) private readonly inbox: Inbox,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.AppendTranscript)
  async handle({ attachmentId, text }: PayloadOf<typeof AppendTranscript>, ctx: JobContext): Promise<void> {
    const outcome = await this.inbox.once(ctx.consumer, ctx.jobId, (manager) =>
      this.transcripts.append(manager, attachmentId, text),
    );
    if (outcome.duplicate) {
      this.logger.info({ attachmentId }, 'transcript already appended');
      return;
    }
    this.logger.info({ attachmentId, ...outcome.result }, 'transcript handled');
  }
}
