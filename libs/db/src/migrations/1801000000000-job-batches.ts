import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Batches of jobs with a completion callback: the batch's counters, and one row per member that reached a final
 * state (its primary key is what makes a redelivered or doubly reported member count once).
 */
export class JobBatches1801000000000 implements MigrationInterface {
  name = 'JobBatches1801000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "job_batches" (
        "id" uuid NOT NULL,
        "name" text NOT NULL,
        "total" integer,
        "succeeded" integer NOT NULL DEFAULT 0,
        "failed" integer NOT NULL DEFAULT 0,
        "on_complete" jsonb,
        "on_success" jsonb,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "finished_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "PK_job_batches" PRIMARY KEY ("id")
      )`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_job_batches_finished_at" ON "job_batches" ("finished_at")`);
    await queryRunner.query(
      `CREATE TABLE "job_batch_members" (
        "batch_id" uuid NOT NULL,
        "job_id" text NOT NULL,
        "subject" text NOT NULL,
        "final_state" text NOT NULL,
        "error" text,
        "finished_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_job_batch_members" PRIMARY KEY ("batch_id", "job_id")
      )`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "job_batch_members"`);
    await queryRunner.query(`DROP TABLE "job_batches"`);
  }
}
