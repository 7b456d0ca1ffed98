import type { EntityClass, MigrationClass } from '../migration-class';
import { ReceivedEmailRouting1798000000000 } from '../migrations/1798000000000-received-email-routing';
/*
 * The tables the notifier work added beyond the SPEC data model: its entities and migrations, exported from the
 * `@lib/db` barrel and listed in schema.ts (TypeORM runs migrations in timestamp order, whatever the list).
 */
export const NotifierEntities: EntityClass[] = [];
/** 1798…: route-received-emails' columns on `received_emails` (the entity declares them). */
export const NotifierMigrations: MigrationClass[] = [ReceivedEmailRouting1798000000000];
