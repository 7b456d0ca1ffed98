import { Inject, Injectable } from '@nestjs/common';
import { Subjects, type PollClosingSoon, type PayloadOf } from '@lib/contracts';
import { EventPattern, type JobContext } from '@lib/jetstream';
import { ActivityNotifier } from './activity-notifier';
import { notifyPollClosingSoon } from './poll-notices';

@Injectable()
export class NotifyPollClosingSoonHandler {
  constructor(@Inject(ActivityNotifier) private readonly notifier: ActivityNotifier) {}

  @EventPattern(Subjects.PollClosingSoon)
  handle(event: PayloadOf<typeof PollClosingSoon>, ctx: JobContext): Promise<void> {
    return this.notifier.notify(
      ctx,
      `poll-closing-soon:${event.pollId}:${event.closingAt}`,
      undefined,
      (manager) => notifyPollClosingSoon(manager, event),
    );
  }
}
