import { Inject, Injectable } from '@nestjs/common';
import {
  Subjects,
  type CommentCreated,
  type CommentDiscarded,
  type CommentUpdated,
  type PayloadOf,
} from '@lib/contracts';
import { EventPattern } from '@lib/jetstream';
import { SearchIndex } from './search-index';

/** The search row of a comment is rebuilt from the comment as it is now, whichever event arrives. */
@Injectable()
export class IndexCommentHandler {
  constructor(@Inject(SearchIndex) private readonly index: SearchIndex) {}

  @EventPattern(Subjects.CommentCreated)
  created({ commentId }: PayloadOf<typeof CommentCreated>): Promise<void> {
    return this.index.syncComments([commentId]);
  }

  @EventPattern(Subjects.CommentUpdated)
  updated({ commentId }: PayloadOf<typeof CommentUpdated>): Promise<void> {
    return this.index.syncComments([commentId]);
  }

  @EventPattern(Subjects.CommentDiscarded)
  discarded({ commentId }: PayloadOf<typeof CommentDiscarded>): Promise<void> {
    return this.index.syncComments([commentId]);
  }
}
