import type { EntityClass, MigrationClass } from '../migration-class';
import { HeadingIdProgress1800000000000 } from '../migrations/1800000000000-heading-id-progress';
/*
 * The tables the janitor work added beyond the SPEC data model: its entities and migrations, exported from the
 * `@lib/db` barrel and listed in schema.ts (TypeORM runs migrations in timestamp order, whatever the list).
 */
export const JanitorEntities: EntityClass[] = [];
export const JanitorMigrations: MigrationClass[] = [HeadingIdProgress1800000000000];
