import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The last known state of each job (`jobs.status(id)`), kept for a retention period. */
export class JobStatuses1794000000000 implements MigrationInterface {
  name = 'JobStatuses1794000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "job_statuses" (
        "id" text NOT NULL,
        "subject" text NOT NULL,
        "state" text NOT NULL,
        "attempt" integer NOT NULL DEFAULT 0,
        "enqueued_at" TIMESTAMP WITH TIME ZONE,
        "scheduled_for" TIMESTAMP WITH TIME ZONE,
        "started_at" TIMESTAMP WITH TIME ZONE,
        "finished_at" TIMESTAMP WITH TIME ZONE,
        "next_attempt_at" TIMESTAMP WITH TIME ZONE,
        "last_error" text,
        "duration_ms" integer,
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "PK_job_statuses" PRIMARY KEY ("id")
      )`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_job_statuses_updated_at" ON "job_statuses" ("updated_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "job_statuses"`);
  }
}
