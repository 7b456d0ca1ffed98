import { Inject, Injectable } from '@nestjs/common';
import {
  Subjects,
  type PollCreated,
  type PollDiscarded,
  type PollUpdated,
  type PayloadOf,
} from '@lib/contracts';
import { EventPattern } from '@lib/jetstream';
import { SearchIndex } from './search-index';

/** The search row of a poll is rebuilt from the poll as it is now, whichever event arrives. */
@Injectable()
export class IndexPollHandler {
  constructor(@Inject(SearchIndex) private readonly index: SearchIndex) {}

  @EventPattern(Subjects.PollCreated)
  created({ pollId }: PayloadOf<typeof PollCreated>): Promise<void> {
    return this.index.syncPolls([pollId]);
  }

  @EventPattern(Subjects.PollUpdated)
  updated({ pollId }: PayloadOf<typeof PollUpdated>): Promise<void> {
    return this.index.syncPolls([pollId]);
  }

  @EventPattern(Subjects.PollDiscarded)
  discarded({ pollId }: PayloadOf<typeof PollDiscarded>): Promise<void> {
    return this.index.syncPolls([pollId]);
  }
}
