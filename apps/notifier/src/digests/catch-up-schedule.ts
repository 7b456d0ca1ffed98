/** The local hour at which catch-up digests go out (SPEC: 6 AM in the user's zone). */
export const DigestHour = 6;

const HourMs = 3600_000;

export interface LocalClock {
  hour: number;
  minute: number;
  /** 0 = Sunday, as `email_catch_up_day`. */
  weekday: number;
  /** The local calendar date, YYYY-MM-DD. */
  date: string;
  /** The zone actually used: an unknown one (stale profile data) counts as UTC, like a missing one. */
  zone: string;
}

const Weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The wall clock of `zone` at `at`; NULL or an unknown zone is UTC. */
export function localClock(at: Date, zone: string | null): LocalClock {
  const used = zone !== null && isKnownZone(zone) ? zone : 'UTC';
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: used,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    weekday: 'short',
  }).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    hour: Number(part('hour')),
    minute: Number(part('minute')),
    weekday: Weekdays.indexOf(part('weekday')),
    date: `${part('year')}-${part('month')}-${part('day')}`,
    zone: used,
  };
}

export function isKnownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * How far back a digest due today looks, in hours, or undefined when the setting is not due on this local
 * weekday: null never; 7 daily (24 h); 8 Monday, Wednesday, Friday (48 h, 72 h on Monday to cover the
 * weekend); 0..6 weekly on that weekday, 0 = Sunday (7 days).
 */
export function catchUpWindowHours(setting: number | null, weekday: number): number | undefined {
  if (setting === null) return undefined;
  if (setting === 7) return 24;
  if (setting === 8) {
    if (weekday === 1) return 72;
    return weekday === 3 || weekday === 5 ? 48 : undefined;
  }
  return setting === weekday ? 7 * 24 : undefined;
}

/** The settings (0..8) due on this local weekday. */
export function dueSettings(weekday: number): number[] {
  return [0, 1, 2, 3, 4, 5, 6, 7, 8].filter((setting) => catchUpWindowHours(setting, weekday) !== undefined);
}

/**
 * What the digest covers: since the last one, but never more than the setting's window, so a user who has
 * not had one for months gets the last week, not everything.
 */
export function catchUpWindow(
  at: Date,
  windowHours: number,
  lastCatchUpAt: Date | null,
): { since: Date; until: Date } {
  const earliest = at.getTime() - windowHours * HourMs;
  const since = lastCatchUpAt && lastCatchUpAt.getTime() > earliest ? lastCatchUpAt.getTime() : earliest;
  return { since: new Date(since), until: at };
}

/** The moment the local clock showed 6:00 today (the start of this digest slot). */
export function slotStart(at: Date, clock: LocalClock): Date {
  const sinceSix = ((clock.hour - DigestHour) * 60 + clock.minute) * 60_000;
  return new Date(Math.floor(at.getTime() / 60_000) * 60_000 - sinceSix);
}
