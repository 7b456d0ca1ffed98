import type { EntityClass, MigrationClass } from '../migration-class';
import { StanceOptionScores1797000000000 } from '../migrations/1797000000000-stance-option-scores';

/* The columns and tables the poller's work added beyond the SPEC data model, listed in schema.ts. */
export const PollerEntities: EntityClass[] = [];
export const PollerMigrations: MigrationClass[] = [StanceOptionScores1797000000000];
