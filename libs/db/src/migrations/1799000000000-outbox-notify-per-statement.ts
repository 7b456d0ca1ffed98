import type { MigrationInterface, QueryRunner } from 'typeorm';
import { OutboxChannel } from './1789000000000-outbox-and-inbox';

/**
 * One NOTIFY per INSERT statement instead of one per row: PostgreSQL cannot fold notifications with
 * different payloads, so a bulk insert of a million delayed jobs queued a million of them. The payload is
 * the earliest `deliver_at` of the statement, all the relay needs to know. Re-timing a row ("run now") is
 * rare and keeps its per-row trigger.
 */
export class OutboxNotifyPerStatement1799000000000 implements MigrationInterface {
  name = 'OutboxNotifyPerStatement1799000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`DROP TRIGGER outbox_messages_notify ON outbox_messages`);
    await db.query(`
      CREATE FUNCTION outbox_messages_notify_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE earliest timestamptz;
      BEGIN
        SELECT min(deliver_at) INTO earliest FROM inserted;
        IF earliest IS NOT NULL THEN
          PERFORM pg_notify('${OutboxChannel}', to_char(earliest AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'));
        END IF;
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE TRIGGER outbox_messages_notify_inserted AFTER INSERT ON outbox_messages
      REFERENCING NEW TABLE AS inserted
      FOR EACH STATEMENT EXECUTE FUNCTION outbox_messages_notify_inserted()`);
    await db.query(`
      CREATE TRIGGER outbox_messages_notify AFTER UPDATE OF deliver_at ON outbox_messages
      FOR EACH ROW EXECUTE FUNCTION outbox_messages_notify()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TRIGGER outbox_messages_notify ON outbox_messages`);
    await db.query(`DROP TRIGGER outbox_messages_notify_inserted ON outbox_messages`);
    await db.query(`DROP FUNCTION outbox_messages_notify_inserted()`);
    await db.query(`
      CREATE TRIGGER outbox_messages_notify AFTER INSERT OR UPDATE OF deliver_at ON outbox_messages
      FOR EACH ROW EXECUTE FUNCTION outbox_messages_notify()`);
  }
}
