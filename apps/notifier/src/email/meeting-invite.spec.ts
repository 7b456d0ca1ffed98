import ICAL from 'ical.js';
import { meetingInvite, type Meeting } from './meeting-invite';

const meeting: Meeting = {
  outcomeId: 7,
  chosen: '2026-12-04T18:30:00.000Z',
  summary: 'Team dinner',
  location: 'Trattoria',
  url: 'http://app.test/p/abc',
  uidDomain: 'app.test',
};

function parse(content: string) {
  const calendar = new ICAL.Component(ICAL.parse(content));
  return { calendar, event: new ICAL.Event(calendar.getFirstSubcomponent('vevent')!) };
}

describe('meetingInvite', () => {
  it('is a PUBLISH calendar with one timed event of an hour', () => {
    const invite = meetingInvite(meeting, new Date('2026-11-24T09:00:00Z'))!;
    expect(invite).toMatchObject({
      filename: 'meeting.ics',
      contentType: expect.stringMatching(/^text\/calendar/),
    });
    const { calendar, event } = parse(invite.content);
    expect(calendar.getFirstPropertyValue('method')).toBe('PUBLISH');
    expect(event.uid).toBe('outcome-7@app.test');
    expect(event.startDate.toJSDate().toISOString()).toBe('2026-12-04T18:30:00.000Z');
    expect(event.endDate.toJSDate().toISOString()).toBe('2026-12-04T19:30:00.000Z');
    expect(event.location).toBe('Trattoria');
  });

  it('makes a date-only option an all-day event', () => {
    const { event } = parse(meetingInvite({ ...meeting, chosen: '2026-12-04' }, new Date())!.content);
    expect(event.startDate.isDate).toBe(true);
    expect(event.startDate.toString()).toBe('2026-12-04');
  });

  it('attaches nothing for an option that is not a date', () => {
    expect(meetingInvite({ ...meeting, chosen: 'next Tuesday-ish' }, new Date())).toBeUndefined();
  });
});
