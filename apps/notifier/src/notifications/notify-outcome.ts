import type { Activity } from './activity-records';
import type { FanoutReport } from './activity-fanout';

/** What one activity handler did: whom it told, or why it told nobody. */
export type NotifyOutcome =
  | { notified: true; activity: Activity; groupId: number | null; report: FanoutReport }
  | { notified: false; reason: string };

export function combine(a: FanoutReport, b: FanoutReport): FanoutReport {
  return { inApp: a.inApp + b.inApp, email: a.email + b.email };
}
