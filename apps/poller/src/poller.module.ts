import { Module } from '@nestjs/common';
import { SERVICE_CONFIG } from '@lib/jetstream';
import { POLLER_CONFIG } from './config';
import { AnnounceClosingSoonHandler } from './polls/announce-closing-soon.handler';
import { CloseExpiredPollsHandler } from './polls/close-expired-polls.handler';
import { RecomputeStanceScoresHandler } from './polls/recompute-stance-scores.handler';
import { RemindUndecidedHandler } from './polls/remind-undecided.handler';
import { UpdatePollCountsHandler } from './polls/update-poll-counts.handler';

/** Poller: poll closing, closing-soon announcements, reminders, poll counts and stance scores. */
@Module({
  providers: [
    { provide: POLLER_CONFIG, useExisting: SERVICE_CONFIG },
    CloseExpiredPollsHandler,
    AnnounceClosingSoonHandler,
    UpdatePollCountsHandler,
    RecomputeStanceScoresHandler,
    RemindUndecidedHandler,
  ],
})
export class PollerModule {}
