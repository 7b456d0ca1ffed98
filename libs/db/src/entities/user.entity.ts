import { Check, Column, Entity, Index } from 'typeorm';
import { CreatedAtColumn, IdPrimaryColumn, TimestampColumn, UpdatedAtColumn } from './column-helpers';

/**
 * How often a user gets the catch-up digest: null never, 0..6 weekly on that weekday (0 = Sunday),
 * 7 daily, 8 on Monday, Wednesday and Friday.
 */
export type EmailCatchUpDay = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;
export const CATCH_UP_DAILY = 7;
export const CATCH_UP_MONDAY_WEDNESDAY_FRIDAY = 8;

export type AvatarKind = 'initials' | 'gravatar' | 'uploaded';

@Entity({ name: 'users' })
@Check('CHK_users_email_catch_up_day', '"email_catch_up_day" BETWEEN 0 AND 8')
// The hourly digest run looks users up by zone and setting; users who opted out or left never match.
@Index('IDX_users_catch_up_schedule', ['timeZone', 'emailCatchUpDay'], {
  where: '"email_catch_up_day" IS NOT NULL AND "deactivated_at" IS NULL',
})
export class User {
  @IdPrimaryColumn()
  id!: number;

  @Column({ name: 'name', type: 'varchar', length: 255, nullable: true })
  name!: string | null;

  /** Stored lower-cased (the app normalises it); null once the user is redacted. */
  @Index('UQ_users_email', { unique: true })
  @Column({ name: 'email', type: 'varchar', length: 255, nullable: true })
  email!: string | null;

  @Index('UQ_users_username', { unique: true })
  @Column({ name: 'username', type: 'varchar', length: 255, nullable: true })
  username!: string | null;

  @Column({ name: 'initials', type: 'varchar', length: 8, nullable: true })
  initials!: string | null;

  /** IANA zone such as `Asia/Kolkata`; null means UTC. */
  @Column({ name: 'time_zone', type: 'varchar', length: 64, nullable: true })
  timeZone!: string | null;

  @Column({ name: 'locale', type: 'varchar', length: 16, nullable: true })
  locale!: string | null;

  @Column({ name: 'email_catch_up_day', type: 'smallint', nullable: true })
  emailCatchUpDay!: EmailCatchUpDay | null;

  @TimestampColumn('last_catch_up_at')
  lastCatchUpAt!: Date | null;

  @Column({ name: 'email_on_participation', type: 'boolean', default: false })
  emailOnParticipation!: boolean;

  @Column({ name: 'email_when_mentioned', type: 'boolean', default: true })
  emailWhenMentioned!: boolean;

  @Column({ name: 'email_verified', type: 'boolean', default: false })
  emailVerified!: boolean;

  @TimestampColumn('deactivated_at')
  deactivatedAt!: Date | null;

  /** Set when a mail provider reported one of our e-mails as spam; no more mail goes to this user. */
  @TimestampColumn('spam_complaint_at')
  spamComplaintAt!: Date | null;

  /** sha256 of the trimmed, lower-cased address, kept after redaction to recognise a returning address. */
  @Column({ name: 'email_sha256', type: 'varchar', length: 64, nullable: true })
  emailSha256!: string | null;

  // Secrets below are never exported and are cleared by redaction.

  @Index('IDX_users_api_key')
  @Column({ name: 'api_key', type: 'varchar', length: 255, nullable: true })
  apiKey!: string | null;

  @Column({ name: 'email_api_key', type: 'varchar', length: 255, nullable: true })
  emailApiKey!: string | null;

  @Column({ name: 'secret_token', type: 'varchar', length: 255, nullable: true })
  secretToken!: string | null;

  @Index('UQ_users_unsubscribe_token', { unique: true })
  @Column({ name: 'unsubscribe_token', type: 'varchar', length: 255, nullable: true })
  unsubscribeToken!: string | null;

  @Column({ name: 'authentication_token', type: 'varchar', length: 255, nullable: true })
  authenticationToken!: string | null;

  @Column({ name: 'remember_token', type: 'varchar', length: 255, nullable: true })
  rememberToken!: string | null;

  @Column({ name: 'encrypted_password', type: 'varchar', length: 128, nullable: true })
  encryptedPassword!: string | null;

  @Index('UQ_users_reset_password_token', { unique: true })
  @Column({ name: 'reset_password_token', type: 'varchar', length: 255, nullable: true })
  resetPasswordToken!: string | null;

  @TimestampColumn('reset_password_sent_at')
  resetPasswordSentAt!: Date | null;

  @Column({ name: 'avatar_kind', type: 'varchar', length: 16, default: 'initials' })
  avatarKind!: AvatarKind;

  /** Object-store key of an uploaded avatar. */
  @Column({ name: 'uploaded_avatar_key', type: 'varchar', length: 255, nullable: true })
  uploadedAvatarKey!: string | null;

  @Column({ name: 'short_bio', type: 'text', default: '' })
  shortBio!: string;

  /** Free text the user typed, unlike the geo-located city/region/country below. */
  @Column({ name: 'location', type: 'varchar', length: 255, default: '' })
  location!: string;

  @Column({ name: 'city', type: 'varchar', length: 255, nullable: true })
  city!: string | null;

  @Column({ name: 'region', type: 'varchar', length: 255, nullable: true })
  region!: string | null;

  /** ISO 3166-1 alpha-2. */
  @Column({ name: 'country', type: 'varchar', length: 2, nullable: true })
  country!: string | null;

  @Column({ name: 'sign_in_count', type: 'integer', default: 0 })
  signInCount!: number;

  @TimestampColumn('current_sign_in_at')
  currentSignInAt!: Date | null;

  @TimestampColumn('last_sign_in_at')
  lastSignInAt!: Date | null;

  @Column({ name: 'current_sign_in_ip', type: 'inet', nullable: true })
  currentSignInIp!: string | null;

  @Column({ name: 'last_sign_in_ip', type: 'inet', nullable: true })
  lastSignInIp!: string | null;

  @TimestampColumn('legal_accepted_at')
  legalAcceptedAt!: Date | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
