import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * add-heading-ids walks each rich-text field by id in batches; this is where it stands, written in the same
 * transaction as each batch, so a run killed mid-way resumes after the last finished batch.
 */
export class HeadingIdProgress1800000000000 implements MigrationInterface {
  name = 'HeadingIdProgress1800000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE heading_id_progress (
        field varchar(64) PRIMARY KEY,
        last_id bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE heading_id_progress`);
  }
}
