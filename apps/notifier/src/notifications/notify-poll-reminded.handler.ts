import { Inject, Injectable } from '@nestjs/common';
import { Subjects, type PollReminded, type PayloadOf } from '@lib/contracts';
import { EventPattern, type JobContext } from '@lib/jetstream';
import { ActivityNotifier } from './activity-notifier';
import { notifyPollReminded } from './poll-notices';

@Injectable()
export class NotifyPollRemindedHandler {
  constructor(@Inject(ActivityNotifier) private readonly notifier: ActivityNotifier) {}

  @EventPattern(Subjects.PollReminded)
  handle(event: PayloadOf<typeof PollReminded>, ctx: JobContext): Promise<void> {
    return this.notifier.notify(ctx, `activity:${event.eventId}`, undefined, (manager) =>
      notifyPollReminded(manager, event),
    );
  }
}
