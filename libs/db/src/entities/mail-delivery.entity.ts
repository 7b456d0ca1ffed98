import { Column, Entity, Index } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  TimestampColumn,
  UpdatedAtColumn,
} from './column-helpers';

/**
 * `bounced`: the server refused permanently (5xx), no retry. `skipped`: not sent on purpose, e.g.
 * deactivated user, spam complaint, unverified member, record discarded since the job was queued.
 */
export type MailDeliveryStatus = 'pending' | 'sent' | 'skipped' | 'bounced' | 'failed';

/** One e-mail the notifier sent or decided not to send. */
@Entity({ name: 'mail_deliveries' })
export class MailDelivery {
  @IdPrimaryColumn()
  id!: number;

  /** Claimed before sending, so a redelivered job never sends twice. */
  @Index('UQ_mail_deliveries_dedupe_key', { unique: true })
  @Column({ name: 'dedupe_key', type: 'varchar', length: 255 })
  dedupeKey!: string;

  @Index('IDX_mail_deliveries_recipient_id')
  @IdColumn('recipient_id', { nullable: true })
  recipientId!: number | null;

  /** Cleared when the recipient is redacted. */
  @Column({ name: 'to_address', type: 'varchar', length: 255, nullable: true })
  toAddress!: string | null;

  /** The mail template, e.g. catch_up, task_reminder, poll_closing_soon. */
  @Column({ name: 'kind', type: 'varchar', length: 64 })
  kind!: string;

  @Column({ name: 'status', type: 'varchar', length: 16, default: 'pending' })
  status!: MailDeliveryStatus;

  /** Why it was skipped, or the server's answer to a bounce or failure. */
  @Column({ name: 'error', type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'message_id', type: 'varchar', length: 255, nullable: true })
  messageId!: string | null;

  @TimestampColumn('sent_at')
  sentAt!: Date | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
