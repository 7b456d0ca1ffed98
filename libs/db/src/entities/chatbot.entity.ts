import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  TimestampColumn,
  UpdatedAtColumn,
  withoutForeignKey,
} from './column-helpers';
import { Group } from './group.entity';

/** The payload format a chatbot is posted: Slack blocks, Discord, a Teams card, Webex, markdown, JSON. */
export const CHATBOT_KINDS = ['slack', 'discord', 'microsoft', 'webex', 'markdown', 'json'] as const;
export type ChatbotKind = (typeof CHATBOT_KINDS)[number];

/** A group's outbound webhook. */
@Entity({ name: 'chatbots' })
export class Chatbot {
  @IdPrimaryColumn()
  id!: number;

  @Index('IDX_chatbots_group_id')
  @IdColumn('group_id')
  groupId!: number;

  @ManyToOne(() => Group, withoutForeignKey)
  @JoinColumn({ name: 'group_id' })
  group?: Relation<Group>;

  @IdColumn('author_id', { nullable: true })
  authorId!: number | null;

  @Column({ name: 'name', type: 'varchar', length: 255 })
  name!: string;

  @Column({ name: 'kind', type: 'enum', enum: CHATBOT_KINDS, enumName: 'chatbot_kind' })
  kind!: ChatbotKind;

  /** Webhook URL; checked against private addresses after DNS resolution before every post. */
  @Column({ name: 'url', type: 'varchar', length: 2048 })
  url!: string;

  /** Key of the `X-Signature` HMAC-SHA256; a secret, never exported. */
  @Column({ name: 'secret', type: 'varchar', length: 255, nullable: true })
  secret!: string | null;

  /** Event kinds this chatbot subscribes to. */
  @Column({ name: 'event_kinds', type: 'text', array: true, default: () => "'{}'" })
  eventKinds!: string[];

  /** Set by a 410 answer or too many consecutive failures. */
  @TimestampColumn('disabled_at')
  disabledAt!: Date | null;

  /** Set by discard-old-chatbots once disabled for more than 90 days. */
  @TimestampColumn('discarded_at')
  discardedAt!: Date | null;

  /** Consecutive failures; a success resets it. */
  @Column({ name: 'failure_count', type: 'integer', default: 0 })
  failureCount!: number;

  @TimestampColumn('last_failure_at')
  lastFailureAt!: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
