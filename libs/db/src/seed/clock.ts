const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

export const addMinutes = (date: Date, minutes: number): Date =>
  new Date(date.getTime() + minutes * MINUTE_MS);
export const addHours = (date: Date, hours: number): Date => new Date(date.getTime() + hours * HOUR_MS);
export const addDays = (date: Date, days: number): Date => new Date(date.getTime() + days * DAY_MS);

/** The UTC calendar day of `date`, 'YYYY-MM-DD' (what a `date` column holds). */
export const utcDay = (date: Date): string => date.toISOString().slice(0, 10);

/** `day` moved by whole days. */
export const addDaysToDay = (day: string, days: number): string =>
  utcDay(addDays(new Date(`${day}T00:00:00Z`), days));

/** The Monday (UTC) of the week `date` falls in. */
export function mondayOf(date: Date): string {
  const daysSinceMonday = (date.getUTCDay() + 6) % 7;
  return utcDay(addDays(date, -daysSinceMonday));
}

/** The instant at which the wall clock in `timeZone` shows `hour`:00 on `day`. */
export function zonedTimeToUtc(day: string, hour: number, timeZone: string): Date {
  const [year, month, dayOfMonth] = day.split('-').map(Number);
  const wallTimeAsUtc = Date.UTC(year, month - 1, dayOfMonth, hour);
  const firstGuess = wallTimeAsUtc - zoneOffsetMs(new Date(wallTimeAsUtc), timeZone);
  // The offset at the guess can differ from the offset at the wall time itself around a DST change.
  return new Date(wallTimeAsUtc - zoneOffsetMs(new Date(firstGuess), timeZone));
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** How far `timeZone`'s wall clock is ahead of UTC at `at`, e.g. +5:30 for Asia/Kolkata. */
function zoneOffsetMs(at: Date, timeZone: string): number {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  const parts = formatter.formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes): number =>
    Number(parts.find((candidate) => candidate.type === type)?.value);
  const wallClockAsUtc = Date.UTC(
    part('year'),
    part('month') - 1,
    part('day'),
    part('hour'),
    part('minute'),
    part('second'),
  );
  return wallClockAsUtc - Math.floor(at.getTime() / 1000) * 1000;
}
