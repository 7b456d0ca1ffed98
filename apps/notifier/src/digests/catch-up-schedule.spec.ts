import { catchUpWindow, catchUpWindowHours, dueSettings, localClock, slotStart } from './catch-up-schedule';

const Hour = 3600_000;

describe('catch-up schedule', () => {
  it('reads the local wall clock, with NULL and unknown zones as UTC', () => {
    const at = new Date('2026-11-24T01:00:00Z');
    expect(localClock(at, null)).toMatchObject({ hour: 1, minute: 0, weekday: 2, zone: 'UTC' });
    expect(localClock(at, 'Not/AZone')).toMatchObject({ hour: 1, zone: 'UTC' });
    expect(localClock(at, 'Asia/Kolkata')).toMatchObject({
      hour: 6,
      minute: 30,
      weekday: 2,
      date: '2026-11-24',
    });
    expect(localClock(new Date('2026-11-24T11:00:00Z'), 'America/Bogota')).toMatchObject({
      hour: 6,
      weekday: 2,
    });
    // +14: Tuesday morning while it is still Monday in UTC.
    expect(localClock(new Date('2026-11-23T16:00:00Z'), 'Pacific/Kiritimati')).toMatchObject({
      hour: 6,
      weekday: 2,
      date: '2026-11-24',
    });
  });

  it.each([
    [null, [undefined, undefined, undefined, undefined, undefined, undefined, undefined]],
    [7, [24, 24, 24, 24, 24, 24, 24]],
    [8, [undefined, 72, undefined, 48, undefined, 48, undefined]],
    [0, [168, undefined, undefined, undefined, undefined, undefined, undefined]],
    [3, [undefined, undefined, undefined, 168, undefined, undefined, undefined]],
    [6, [undefined, undefined, undefined, undefined, undefined, undefined, 168]],
  ])('setting %p looks back, Sunday to Saturday: %p hours', (setting, hours) => {
    expect([0, 1, 2, 3, 4, 5, 6].map((weekday) => catchUpWindowHours(setting, weekday))).toEqual(hours);
  });

  it('lists the settings due on a weekday', () => {
    expect(dueSettings(1)).toEqual([1, 7, 8]);
    expect(dueSettings(2)).toEqual([2, 7]);
    expect(dueSettings(0)).toEqual([0, 7]);
  });

  it('starts the window at the last digest, capped at the setting’s window', () => {
    const at = new Date('2026-11-23T06:00:00Z');
    expect(catchUpWindow(at, 72, null).since).toEqual(new Date(at.getTime() - 72 * Hour));
    expect(catchUpWindow(at, 24, new Date(at.getTime() - 30 * 24 * Hour)).since).toEqual(
      new Date(at.getTime() - 24 * Hour),
    );
    const recent = new Date(at.getTime() - 5 * Hour);
    expect(catchUpWindow(at, 24, recent)).toEqual({ since: recent, until: at });
  });

  it('finds the moment local time showed 6:00', () => {
    const at = new Date('2026-11-24T01:00:20Z');
    expect(slotStart(at, localClock(at, 'Asia/Kolkata'))).toEqual(new Date('2026-11-24T00:30:00Z'));
    expect(slotStart(at, localClock(at, 'Asia/Kathmandu'))).toEqual(new Date('2026-11-24T00:15:00Z'));
  });

  it.each([
    [
      'spring forward',
      '2026-03-27T00:00:00Z',
      ['2026-03-27T05:00:00Z', '2026-03-28T05:00:00Z', '2026-03-29T04:00:00Z', '2026-03-30T04:00:00Z'],
    ],
    [
      'fall back',
      '2026-10-23T00:00:00Z',
      ['2026-10-23T04:00:00Z', '2026-10-24T04:00:00Z', '2026-10-25T05:00:00Z', '2026-10-26T05:00:00Z'],
    ],
  ])(
    'gives a Europe/Berlin reader exactly one 6 AM hourly run per local day across the DST change (%s)',
    (_, from, expected) => {
      const runs: string[] = [];
      for (let hour = 0; hour < 4 * 24; hour++) {
        const at = new Date(Date.parse(from) + hour * Hour);
        if (localClock(at, 'Europe/Berlin').hour === 6) runs.push(at.toISOString().replace('.000', ''));
      }
      expect(runs).toEqual(expected);
    },
  );
});
