import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  IdPrimaryColumn,
  UpdatedAtColumn,
  withoutForeignKey,
} from './column-helpers';
import { User } from './user.entity';

/** A linked sign-in account (OAuth, SAML, Slack...); deleted by redaction. */
@Entity({ name: 'identities' })
@Index('UQ_identities_identity_type_uid', ['identityType', 'uid'], { unique: true })
export class Identity {
  @IdPrimaryColumn()
  id!: number;

  /** Null until the identity is linked to a user. */
  @Index('IDX_identities_user_id')
  @IdColumn('user_id', { nullable: true })
  userId!: number | null;

  @ManyToOne(() => User, withoutForeignKey)
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User> | null;

  /** e.g. google, oauth, saml, slack, nextcloud. */
  @Column({ name: 'identity_type', type: 'varchar', length: 32 })
  identityType!: string;

  /** The provider's id for the account. */
  @Column({ name: 'uid', type: 'varchar', length: 255 })
  uid!: string;

  @Column({ name: 'email', type: 'varchar', length: 255, nullable: true })
  email!: string | null;

  @Column({ name: 'name', type: 'varchar', length: 255, nullable: true })
  name!: string | null;

  /** A secret, never exported. */
  @Column({ name: 'access_token', type: 'varchar', length: 2048, nullable: true })
  accessToken!: string | null;

  @Column({ name: 'logo', type: 'varchar', length: 2048, nullable: true })
  logo!: string | null;

  @Column({ name: 'custom_fields', type: 'jsonb', default: () => "'{}'" })
  customFields!: Record<string, unknown>;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
