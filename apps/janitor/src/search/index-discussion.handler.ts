import { Inject, Injectable } from '@nestjs/common';
import {
  Subjects,
  type DiscussionCreated,
  type DiscussionDiscarded,
  type DiscussionUpdated,
  type PayloadOf,
} from '@lib/contracts';
import { EventPattern } from '@lib/jetstream';
import { SearchIndex } from './search-index';

/** A discussion's row follows it; its comments and polls follow the thread (a discarded thread hides them). */
@Injectable()
export class IndexDiscussionHandler {
  constructor(@Inject(SearchIndex) private readonly index: SearchIndex) {}

  @EventPattern(Subjects.DiscussionCreated)
  created({ discussionId }: PayloadOf<typeof DiscussionCreated>): Promise<void> {
    return this.index.syncDiscussions([discussionId]);
  }

  @EventPattern(Subjects.DiscussionUpdated)
  updated({ discussionId }: PayloadOf<typeof DiscussionUpdated>): Promise<void> {
    return this.index.syncDiscussions([discussionId]);
  }

  @EventPattern(Subjects.DiscussionDiscarded)
  discarded({ discussionId }: PayloadOf<typeof DiscussionDiscarded>): Promise<void> {
    return this.index.syncDiscussions([discussionId]);
  }
}
