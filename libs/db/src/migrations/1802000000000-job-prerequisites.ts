import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The states after which a job never changes again: they release the jobs waiting for it. */
const FinalStates = `('completed', 'failed', 'dead', 'cancelled')`;

/**
 * A job held for its prerequisites waits as an outbox row with a far `deliver_at`; `job_prerequisite_waits`
 * says which row waits for which job. When `job_statuses` records a prerequisite's final state, the trigger
 * re-times the rows waiting for it to now, and the relay (woken by the outbox's own trigger) publishes them:
 * the dependant starts right after the status write, without polling. The trigger runs once per statement
 * and stops at one look into an empty table when nothing waits, so the status writer's batches stay cheap.
 */
export class JobPrerequisites1802000000000 implements MigrationInterface {
  name = 'JobPrerequisites1802000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE job_prerequisite_waits (
        prerequisite_id text NOT NULL,
        job_id text NOT NULL,
        outbox_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (prerequisite_id, outbox_id)
      )`);
    await db.query(`CREATE INDEX job_prerequisite_waits_job ON job_prerequisite_waits (job_id)`);
    await db.query(`
      CREATE FUNCTION job_prerequisites_release() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM job_prerequisite_waits) THEN
          RETURN NULL;
        END IF;
        UPDATE outbox_messages o SET deliver_at = now()
        FROM job_prerequisite_waits w JOIN changed_statuses c ON c.id = w.prerequisite_id
        WHERE o.id = w.outbox_id AND c.state IN ${FinalStates} AND o.deliver_at > now();
        RETURN NULL;
      END $$`);
    for (const event of ['INSERT', 'UPDATE']) {
      await db.query(`
        CREATE TRIGGER job_statuses_release_${event.toLowerCase()} AFTER ${event} ON job_statuses
        REFERENCING NEW TABLE AS changed_statuses
        FOR EACH STATEMENT EXECUTE FUNCTION job_prerequisites_release()`);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TRIGGER job_statuses_release_update ON job_statuses`);
    await db.query(`DROP TRIGGER job_statuses_release_insert ON job_statuses`);
    await db.query(`DROP FUNCTION job_prerequisites_release()`);
    await db.query(`DROP TABLE job_prerequisite_waits`);
  }
}
