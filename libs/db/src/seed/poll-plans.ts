import type { NotifyOnClosingSoon, PollHideResults, PollType } from '../entities';
import { addDays, addMinutes } from './clock';
import type { SeedContext } from './seed-context';

export type OutcomeReview = 'past-due' | 'today' | 'future' | 'already-notified' | 'none';

/** One poll the demo needs, described by where it stands relative to now. */
export interface PollPlan {
  pollType?: PollType;
  /** Minutes from now; negative for the past. */
  closingInMinutes: number;
  closedMinutesAgo?: number;
  anonymous?: boolean;
  hideResults?: PollHideResults;
  notifyOnClosingSoon?: NotifyOnClosingSoon;
  /** Whether the closing-soon notice already went out, for this closing time or an earlier one. */
  closingSoonNotified?: 'for-this-closing-time' | 'for-an-earlier-closing-time';
  discarded?: boolean;
  outcome?: OutcomeReview;
}

export const HOUR = 60;

export const DAY = 24 * HOUR;

/**
 * The polls of one community: each line is a case a worker must handle. announce-closing-soon looks at polls
 * closing in the hour that starts 24 h from now; close-expired-polls at open polls whose time has passed.
 */
export function pollPlans(ctx: SeedContext): PollPlan[] {
  const { random } = ctx;
  const inNextDays = (): number => random.int(2 * DAY, 6 * DAY);
  const inTheHourAfter24h = (): number => DAY + random.int(5, 55);
  return [
    { closingInMinutes: inNextDays() },
    { closingInMinutes: inNextDays(), notifyOnClosingSoon: 2 },
    { closingInMinutes: inNextDays(), hideResults: 'until_vote' },
    { closingInMinutes: inNextDays(), hideResults: 'until_closed', notifyOnClosingSoon: 3 },
    { closingInMinutes: inNextDays(), anonymous: true },
    {
      closingInMinutes: random.int(10, 50),
      notifyOnClosingSoon: 2,
      closingSoonNotified: 'for-this-closing-time',
    },
    {
      closingInMinutes: random.int(10, 50),
      anonymous: true,
      hideResults: 'until_closed',
      notifyOnClosingSoon: 3,
      closingSoonNotified: 'for-this-closing-time',
    },
    { closingInMinutes: inTheHourAfter24h(), notifyOnClosingSoon: 1 },
    // The closing date moved, which re-arms the notice.
    {
      closingInMinutes: inTheHourAfter24h(),
      notifyOnClosingSoon: 2,
      closingSoonNotified: 'for-an-earlier-closing-time',
    },
    { closingInMinutes: inTheHourAfter24h(), notifyOnClosingSoon: 3 },
    {
      closingInMinutes: inTheHourAfter24h(),
      notifyOnClosingSoon: 2,
      closingSoonNotified: 'for-this-closing-time',
    },
    { closingInMinutes: inTheHourAfter24h(), notifyOnClosingSoon: 0 },
    // Its time passed since the last poller run.
    {
      closingInMinutes: -random.int(20, 90),
      notifyOnClosingSoon: 2,
      closingSoonNotified: 'for-this-closing-time',
    },
    ...(['past-due', 'today', 'future', 'already-notified', 'none'] as const).map((review): PollPlan => ({
      closingInMinutes: -random.int(2 * DAY, 40 * DAY),
      closedMinutesAgo: 0,
      outcome: review,
      notifyOnClosingSoon: random.pick([0, 1, 2, 3] as const),
    })),
    {
      pollType: 'meeting',
      closingInMinutes: -random.int(DAY, 10 * DAY),
      closedMinutesAgo: 0,
      outcome: 'none',
    },
    { closingInMinutes: -random.int(DAY, 20 * DAY), closedMinutesAgo: 0, anonymous: true, outcome: 'future' },
    // Closed by hand before its closing time.
    { closingInMinutes: random.int(DAY, 5 * DAY), closedMinutesAgo: random.int(HOUR, 3 * DAY) },
    { closingInMinutes: inNextDays(), discarded: true },
  ];
}

export interface PollTimes {
  createdAt: Date;
  closingAt: Date;
  closedAt: Date | null;
}

/** When a planned poll was started and closes (or closed). */
export function pollTimes(ctx: SeedContext, plan: PollPlan): PollTimes {
  const closingAt = ctx.minutesFromNow(plan.closingInMinutes);
  const closedAt =
    plan.closedMinutesAgo === undefined
      ? null
      : plan.closingInMinutes < 0
        ? addMinutes(closingAt, ctx.random.int(1, 59))
        : ctx.minutesFromNow(-plan.closedMinutesAgo);
  return { createdAt: addDays(closedAt ?? ctx.now, -ctx.random.int(3, 7)), closingAt, closedAt };
}
