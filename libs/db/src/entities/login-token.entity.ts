import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  UpdatedAtColumn,
  withoutForeignKey,
} from './column-helpers';
import { User } from './user.entity';

/** A one-time sign-in link/code sent by e-mail; expires after an hour. */
@Entity({ name: 'login_tokens' })
export class LoginToken {
  @IdPrimaryColumn()
  id!: number;

  @Index('IDX_login_tokens_user_id')
  @IdColumn('user_id')
  userId!: number;

  @ManyToOne(() => User, withoutForeignKey)
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;

  @Index('UQ_login_tokens_token', { unique: true })
  @Column({ name: 'token', type: 'varchar', length: 255 })
  token!: string;

  /** The short code typed instead of following the link. */
  @Column({ name: 'code', type: 'integer' })
  code!: number;

  @Column({ name: 'used', type: 'boolean', default: false })
  used!: boolean;

  @Column({ name: 'redirect', type: 'varchar', length: 2048, nullable: true })
  redirect!: string | null;

  @Column({ name: 'is_reactivation', type: 'boolean', default: false })
  isReactivation!: boolean;

  /** delete-expired-login-tokens removes rows older than an hour. */
  @Index('IDX_login_tokens_created_at')
  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
