import { Column, Entity, Index } from 'typeorm';
import { CreatedAtColumn, IdPrimaryColumn } from './column-helpers';

/** An e-mail domain refused at sign-up (disposable mail providers), refreshed monthly. */
@Entity({ name: 'blocked_domains' })
export class BlockedDomain {
  @IdPrimaryColumn()
  id!: number;

  /** Lower-cased domain name. */
  @Index('UQ_blocked_domains_name', { unique: true })
  @Column({ name: 'name', type: 'varchar', length: 255 })
  name!: string;

  @CreatedAtColumn()
  createdAt!: Date;
}
