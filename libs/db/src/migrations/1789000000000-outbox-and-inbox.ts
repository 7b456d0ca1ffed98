import type { MigrationInterface, QueryRunner } from 'typeorm';

export const OutboxChannel = 'outbox_messages';

/**
 * The outbox wakes its relay through NOTIFY from a trigger, so a row inserted or re-timed ("run now") by anyone
 * (our services, the web app, psql) is published in milliseconds; the payload is the row's delivery time.
 */
export class OutboxAndInbox1789000000000 implements MigrationInterface {
  name = 'OutboxAndInbox1789000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE outbox_messages (
        id uuid PRIMARY KEY,
        subject text NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}'::jsonb,
        payload jsonb NOT NULL,
        deliver_at timestamptz NOT NULL DEFAULT now(),
        attempts int NOT NULL DEFAULT 0,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX outbox_messages_due ON outbox_messages (deliver_at, id)`);
    await db.query(`
      CREATE FUNCTION outbox_messages_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('${OutboxChannel}', to_char(NEW.deliver_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'));
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE TRIGGER outbox_messages_notify AFTER INSERT OR UPDATE OF deliver_at ON outbox_messages
      FOR EACH ROW EXECUTE FUNCTION outbox_messages_notify()`);
    await db.query(`
      CREATE TABLE processed_messages (
        consumer text NOT NULL,
        msg_id text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, msg_id)
      )`);
    await db.query(`CREATE INDEX processed_messages_processed_at ON processed_messages (processed_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE processed_messages`);
    await db.query(`DROP TRIGGER outbox_messages_notify ON outbox_messages`);
    await db.query(`DROP FUNCTION outbox_messages_notify()`);
    await db.query(`DROP TABLE outbox_messages`);
  }
}
