import type { EntityTarget } from 'typeorm';
import type { BulkWriter, SeedRow } from './bulk-writer';
import { addDays, addHours, addMinutes, utcDay } from './clock';
import type { SeededRandom } from './random';

/**
 * What every part of the seed shares: the random source, the clock the demo is relative to, the writer and
 * the id counters. Ids are chosen here rather than by the database so that rows can point at each other
 * before anything is written; the seed therefore runs on empty tables only.
 */
export class SeedContext {
  private readonly lastIds = new Map<EntityTarget<unknown>, number>();

  constructor(
    readonly random: SeededRandom,
    private readonly writer: BulkWriter,
    readonly now: Date,
  ) {}

  nextId(entity: EntityTarget<unknown>): number {
    const id = (this.lastIds.get(entity) ?? 0) + 1;
    this.lastIds.set(entity, id);
    return id;
  }

  /** Entities with the highest id handed out, to move the identity sequences past them. */
  highestIds(): ReadonlyMap<EntityTarget<unknown>, number> {
    return this.lastIds;
  }

  insert<Entity>(entity: EntityTarget<Entity>, row: SeedRow<Entity>): Promise<void> {
    return this.writer.add(entity, row);
  }

  get today(): string {
    return utcDay(this.now);
  }

  minutesFromNow(minutes: number): Date {
    return addMinutes(this.now, minutes);
  }

  hoursAgo(hours: number): Date {
    return addHours(this.now, -hours);
  }

  daysAgo(days: number): Date {
    return addDays(this.now, -days);
  }

  /** A random instant in [from, to]; `from` itself when the range is empty. */
  between(from: Date, to: Date): Date {
    const span = to.getTime() - from.getTime();
    return span <= 0 ? new Date(from) : new Date(from.getTime() + Math.floor(this.random.next() * span));
  }
}
