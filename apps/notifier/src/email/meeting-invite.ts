import ical, { ICalCalendarMethod } from 'ical-generator';
import type { MailAttachment } from './mail-records';

export interface Meeting {
  outcomeId: number;
  /** The chosen option of the time poll: an ISO date (all day) or date-time. */
  chosen: string;
  summary: string;
  location: string | null;
  url: string;
  /** The domain of the event's UID, so calendars update rather than duplicate it on a re-send. */
  uidDomain: string;
}

const DefaultMeetingMinutes = 60;

/** A date-only option (`2026-12-01`) is an all-day event. */
const DateOnly = /^\d{4}-\d{2}-\d{2}$/;

/** The meeting as `meeting.ics`; undefined when the option is not a date (a time poll edited by hand). */
export function meetingInvite(meeting: Meeting, stamp: Date): MailAttachment | undefined {
  const allDay = DateOnly.test(meeting.chosen.trim());
  const start = new Date(allDay ? `${meeting.chosen.trim()}T00:00:00Z` : meeting.chosen);
  if (Number.isNaN(start.getTime())) return undefined;
  const calendar = ical({ prodId: { company: 'loomio', product: 'notifier', language: 'EN' } });
  calendar.method(ICalCalendarMethod.PUBLISH);
  calendar.createEvent({
    id: `outcome-${meeting.outcomeId}@${meeting.uidDomain}`,
    start,
    end: allDay ? undefined : new Date(start.getTime() + DefaultMeetingMinutes * 60_000),
    allDay,
    stamp,
    summary: meeting.summary,
    location: meeting.location ?? undefined,
    description: meeting.url,
    url: meeting.url,
  });
  return {
    filename: 'meeting.ics',
    content: calendar.toString(),
    contentType: 'text/calendar; charset=utf-8; method=PUBLISH',
  };
}
