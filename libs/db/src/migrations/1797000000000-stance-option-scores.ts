import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Each stance keeps its choices as option id -> score, as Loomio's `stances.option_scores` did. */
export class StanceOptionScores1797000000000 implements MigrationInterface {
  name = 'StanceOptionScores1797000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE stances ADD COLUMN option_scores jsonb NOT NULL DEFAULT '{}'`);
    await queryRunner.query(
      `UPDATE stances s SET option_scores = c.scores
       FROM (SELECT stance_id, jsonb_object_agg(poll_option_id::text, score) AS scores
             FROM stance_choices GROUP BY stance_id) c
       WHERE c.stance_id = s.id`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE stances DROP COLUMN option_scores`);
  }
}
