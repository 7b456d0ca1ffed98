import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** The mark that a consumer applied a message's effects; written in the same transaction as the effects. */
@Entity({ name: 'processed_messages' })
@Index('processed_messages_processed_at', ['processedAt'])
export class ProcessedMessage {
  @PrimaryColumn('text')
  consumer!: string;

  @PrimaryColumn('text', { name: 'msg_id' })
  msgId!: string;

  @Column('timestamptz', { name: 'processed_at', default: () => 'now()' })
  processedAt!: Date;
}
