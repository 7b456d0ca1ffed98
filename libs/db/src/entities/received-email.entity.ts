import { Column, Entity, Index } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  TimestampColumn,
  UpdatedAtColumn,
} from './column-helpers';

/** An inbound e-mail (a reply by mail, or mail to a group's address) waiting to be routed. */
@Entity({ name: 'received_emails' })
// route-received-emails only looks at mail not released into a thread yet.
@Index('IDX_received_emails_unreleased', ['createdAt'], { where: '"released" = false' })
// ... and of those, only mail it has not decided about yet (migration 1798000000000).
@Index('IDX_received_emails_unrouted', ['id'], { where: '"routed_at" IS NULL' })
export class ReceivedEmail {
  @IdPrimaryColumn()
  id!: number;

  /** The group the mail was addressed to, once routed. */
  @IdColumn('group_id', { nullable: true })
  groupId!: number | null;

  /** Header names lower-cased; values as received. */
  @Column({ name: 'headers', type: 'jsonb', default: () => "'{}'" })
  headers!: Record<string, string>;

  @Column({ name: 'body_text', type: 'text', nullable: true })
  bodyText!: string | null;

  @Column({ name: 'body_html', type: 'text', nullable: true })
  bodyHtml!: string | null;

  @Column({ name: 'spf_valid', type: 'boolean', default: false })
  spfValid!: boolean;

  @Column({ name: 'dkim_valid', type: 'boolean', default: false })
  dkimValid!: boolean;

  @Column({ name: 'released', type: 'boolean', default: false })
  released!: boolean;

  /** When route-received-emails decided about this mail (posted, dropped or rejected); NULL = not yet. */
  @TimestampColumn('routed_at')
  routedAt!: Date | null;

  /** `comment`, `discussion`, `dropped` (spam, auto-reply, bounce) or `rejected` (nowhere to post it). */
  @Column({ name: 'route_outcome', type: 'varchar', length: 32, nullable: true })
  routeOutcome!: string | null;

  /** Why a mail was dropped or rejected (a reason code, never the mail's content). */
  @Column({ name: 'route_error', type: 'varchar', length: 255, nullable: true })
  routeError!: string | null;

  /** delete-old-received-emails removes mail older than 60 days. */
  @Index('IDX_received_emails_created_at')
  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
