import { Column, Entity, Index } from 'typeorm';
import type { RecordType } from './activity-event.entity';
import { CreatedAtColumn, IdColumn, IdPrimaryColumn } from './column-helpers';

/** Audit trail of a record's changes (PaperTrail's `versions`). */
@Entity({ name: 'versions' })
@Index('IDX_versions_item', ['itemType', 'itemId'])
export class Version {
  @IdPrimaryColumn()
  id!: number;

  @Column({ name: 'item_type', type: 'varchar', length: 64 })
  itemType!: RecordType;

  @IdColumn('item_id')
  itemId!: number;

  /** create, update or destroy. */
  @Column({ name: 'event', type: 'varchar', length: 16 })
  event!: 'create' | 'update' | 'destroy';

  /** Id of the user who made the change. */
  @Index('IDX_versions_whodunnit')
  @IdColumn('whodunnit', { nullable: true })
  whodunnit!: number | null;

  /** `{ "column": [before, after] }`. */
  @Column({ name: 'object_changes', type: 'jsonb', nullable: true })
  objectChanges!: Record<string, [unknown, unknown]> | null;

  @CreatedAtColumn()
  createdAt!: Date;
}
