import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A message waiting to be published to NATS: now (transactional outbox) or at `deliverAt` (delayed job). */
@Entity({ name: 'outbox_messages' })
@Index('outbox_messages_due', ['deliverAt', 'id'])
export class OutboxMessage {
  /** Also the message's `Nats-Msg-Id`, unless its headers carry one: a re-publish is a duplicate. */
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  subject!: string;

  @Column('jsonb', { default: () => "'{}'" })
  headers!: Record<string, string>;

  @Column('jsonb')
  payload!: unknown;

  @Column('timestamptz', { name: 'deliver_at', default: () => 'now()' })
  deliverAt!: Date;

  /** Publish attempts that failed (NATS down, stream missing); the relay keeps the row and tries again. */
  @Column('int', { default: 0 })
  attempts!: number;

  @Column('text', { name: 'last_error', nullable: true })
  lastError!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
