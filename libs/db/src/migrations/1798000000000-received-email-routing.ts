import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * route-received-emails records what it decided about each inbound mail, so mail it could not post is not
 * examined again every hour, and an operator can see why (Loomio left such mail unreleased and retried it).
 */
export class ReceivedEmailRouting1798000000000 implements MigrationInterface {
  name = 'ReceivedEmailRouting1798000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE received_emails
        ADD COLUMN routed_at timestamptz,
        ADD COLUMN route_outcome varchar(32),
        ADD COLUMN route_error varchar(255)`);
    await queryRunner.query(
      `CREATE INDEX "IDX_received_emails_unrouted" ON received_emails (id) WHERE routed_at IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_received_emails_unrouted"`);
    await queryRunner.query(`
      ALTER TABLE received_emails DROP COLUMN routed_at, DROP COLUMN route_outcome, DROP COLUMN route_error`);
  }
}
