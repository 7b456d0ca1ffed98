import { Inject, Injectable } from '@nestjs/common';
import { Subjects, type PollClosed, type PayloadOf } from '@lib/contracts';
import { EventPattern, type JobContext } from '@lib/jetstream';
import { ActivityNotifier } from './activity-notifier';
import { notifyPollClosed } from './poll-notices';

@Injectable()
export class NotifyPollClosedHandler {
  constructor(@Inject(ActivityNotifier) private readonly notifier: ActivityNotifier) {}

  @EventPattern(Subjects.PollClosed)
  handle(event: PayloadOf<typeof PollClosed>, ctx: JobContext): Promise<void> {
    return this.notifier.notify(ctx, `poll-closed:${event.pollId}:${event.closedAt}`, undefined, (manager) =>
      notifyPollClosed(manager, event),
    );
  }
}
