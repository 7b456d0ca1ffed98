import type { EntityClass, MigrationClass } from '../migration-class';
import { ExporterProgress1793000000000 } from '../migrations/1793000000000-exporter-progress';
/*
 * The tables the exporter work added beyond the SPEC data model: its entities and migrations, exported from the
 * `@lib/db` barrel and listed in schema.ts (TypeORM runs migrations in timestamp order, whatever the list).
 */
export const ExporterEntities: EntityClass[] = [];
export const ExporterMigrations: MigrationClass[] = [ExporterProgress1793000000000];
