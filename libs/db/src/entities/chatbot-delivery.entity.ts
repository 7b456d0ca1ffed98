import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber, TimestampColumn } from './column-helpers';

/**
 * One activity a chatbot accepted (2xx). Written after the post succeeds and read before posting, so a
 * redelivered post-to-chatbot job does not post the same activity twice.
 */
@Entity({ name: 'chatbot_deliveries' })
export class ChatbotDelivery {
  @PrimaryColumn({ name: 'chatbot_id', type: 'bigint', transformer: bigintAsNumber })
  chatbotId!: number;

  /** The `events` row posted. */
  @PrimaryColumn({ name: 'event_id', type: 'bigint', transformer: bigintAsNumber })
  eventId!: number;

  /** The HTTP status the webhook answered. */
  @Column({ name: 'status_code', type: 'integer' })
  statusCode!: number;

  @TimestampColumn('delivered_at', { nullable: false })
  deliveredAt!: Date;
}
