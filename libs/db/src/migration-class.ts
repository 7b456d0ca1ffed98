import type { MigrationInterface } from 'typeorm';

/** A TypeORM migration class whose name ends in its timestamp, e.g. `ExportObjects1791000000000`. */
export type MigrationClass = new () => MigrationInterface;

/** TypeORM runs migrations in timestamp order; listing them the same way keeps reports and reverts readable. */
export function inTimestampOrder(migrations: MigrationClass[]): MigrationClass[] {
  const timestamp = (migration: MigrationClass) => {
    const match = /(\d{13})$/.exec(migration.name);
    if (!match) throw new Error(`Migration ${migration.name} must end in a 13-digit timestamp`);
    return Number(match[1]);
  };
  return [...migrations].sort((a, b) => timestamp(a) - timestamp(b));
}

/** A TypeORM entity class (decorated with `@Entity`). */
export type EntityClass = new (...args: any[]) => object;
