import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The activities each chatbot accepted, so a redelivered post is not posted twice. */
export class ChatbotDeliveries1796000000000 implements MigrationInterface {
  name = 'ChatbotDeliveries1796000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE chatbot_deliveries (
         chatbot_id bigint NOT NULL,
         event_id bigint NOT NULL,
         status_code integer NOT NULL,
         delivered_at timestamptz NOT NULL,
         CONSTRAINT "PK_chatbot_deliveries" PRIMARY KEY (chatbot_id, event_id)
       )`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE chatbot_deliveries`);
  }
}
