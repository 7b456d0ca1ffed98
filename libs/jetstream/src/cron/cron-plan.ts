import { CronTime } from 'cron';
import type { CronEntry } from '@lib/contracts';

export interface PlannedEntry extends CronEntry {
  timeZone: string;
  /** The first slot strictly after `after`. */
  nextAfter(after: Date): Date;
}

/** Parses every schedule and zone with the `cron` package; refuses the table naming each bad entry. */
export function planCronTable(entries: readonly CronEntry[]): PlannedEntry[] {
  const problems: string[] = [];
  const planned: PlannedEntry[] = [];
  for (const entry of entries) {
    const timeZone = entry.timeZone ?? 'UTC';
    try {
      const time = new CronTime(entry.schedule, timeZone);
      planned.push({
        ...entry,
        timeZone,
        nextAfter: (after) => time.getNextDateFrom(after, timeZone).toJSDate(),
      });
    } catch (error) {
      problems.push(
        `cron entry "${entry.name}" (${entry.schedule} in ${timeZone}): ${(error as Error).message}`,
      );
    }
  }
  if (problems.length > 0) throw new Error(`the cron table is invalid:\n  - ${problems.join('\n  - ')}`);
  return planned;
}

/** Slots in (after, until], oldest first; `limit` bounds the walk for an entry that was down for long. */
export function slotsBetween(entry: PlannedEntry, after: Date, until: Date, limit = 100_000): Date[] {
  const slots: Date[] = [];
  for (
    let slot = entry.nextAfter(after);
    slot <= until && slots.length < limit;
    slot = entry.nextAfter(slot)
  ) {
    slots.push(slot);
  }
  return slots;
}
