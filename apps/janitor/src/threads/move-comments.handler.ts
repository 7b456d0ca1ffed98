import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type MoveComments as MoveCommentsJob, type PayloadOf } from '@lib/contracts';
import { EventPattern, LOGGER, UnrecoverableError } from '@lib/jetstream';
import { MoveComments } from './move-comments';

@Injectable()
export class MoveCommentsHandler {
  constructor(
    @Inject(MoveComments) private readonly moves: MoveComments,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.MoveComments)
  async handle(payload: PayloadOf<typeof MoveCommentsJob>): Promise<void> {
    const { sourceDiscussionId, targetDiscussionId, commentIds, actorId } = payload;
    const outcome = await this.moves.move(sourceDiscussionId, targetDiscussionId, commentIds);
    if (!outcome.moved) {
      throw new UnrecoverableError(
        `cannot move comments from discussion ${sourceDiscussionId} to ${targetDiscussionId}: ${outcome.reason}`,
      );
    }
    this.logger.info(
      { sourceDiscussionId, targetDiscussionId, actorId, comments: outcome.comments, events: outcome.events },
      'comments moved',
    );
  }
}
