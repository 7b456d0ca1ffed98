import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Exports remember the request that created them (a redelivered request resumes its export instead of
 * starting a second one) and which table they are writing; imports keep the object name of their errors CSV.
 */
export class ExporterProgress1793000000000 implements MigrationInterface {
  name = 'ExporterProgress1793000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE exports ADD COLUMN request_id varchar(255), ADD COLUMN current_table varchar(64);
      CREATE UNIQUE INDEX "UQ_exports_request_id" ON exports (request_id);
      ALTER TABLE imports ADD COLUMN errors_object_key varchar(255);
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE imports DROP COLUMN errors_object_key;
      DROP INDEX "UQ_exports_request_id";
      ALTER TABLE exports DROP COLUMN current_table, DROP COLUMN request_id;
    `);
  }
}
