import type { EntityManager } from 'typeorm';
import type { MailKind, PayloadOf, DeliverEmail } from '@lib/contracts';
import { UnrecoverableError } from '@lib/jetstream';
import { AccountMailKinds } from './records/account-records';
import { CatchUpMailKinds } from './records/catch-up-records';
import { MembershipMailKinds } from './records/membership-records';
import { PollMailKinds } from './records/poll-records';
import { SubscriptionMailKinds } from './records/subscription-records';
import { ThreadMailKinds } from './records/thread-records';

export type RecordType = PayloadOf<typeof DeliverEmail>['recordType'];

export interface Recipient {
  id: number;
  name: string | null;
  email: string | null;
  locale: string | null;
  timeZone: string | null;
  emailVerified: boolean;
  deactivated: boolean;
  spamComplaint: boolean;
  unsubscribeToken: string | null;
  /** Signs the reply address of thread mails, so a reply by mail is posted as this user. */
  emailApiKey: string | null;
}

/** A file sent along with the mail (the meeting's .ics). */
export interface MailAttachment {
  filename: string;
  content: string;
  contentType: string;
}

/** The template variables of the record, or why the mail is moot now. */
export type RecordLookup =
  | {
      found: true;
      data: Record<string, unknown>;
      attachments?: MailAttachment[];
      /** The discussion a reply to this mail is posted in (thread mails only). */
      replyThreadId?: number;
    }
  | { found: false; reason: string };

export interface RecordContext {
  manager: EntityManager;
  recordId: number;
  recipient: Recipient;
  /** The language the mail is written in, for dates and numbers. */
  locale: string;
  appUrl: string;
  /** The job, for the fields only some kinds use (linkPath, since, until). */
  payload: PayloadOf<typeof DeliverEmail>;
}

export interface MailKindDefinition {
  recordType: RecordType;
  load(context: RecordContext): Promise<RecordLookup>;
  /** Sent to a deactivated account too (the erasure confirmation goes out after the account is closed). */
  mailsDeactivated?: boolean;
  /** Sent to an unverified address too (an invitation is how the address gets verified). */
  mailsUnverified?: boolean;
}

const MailKindDefinitions: Record<MailKind, MailKindDefinition> = {
  ...PollMailKinds,
  ...ThreadMailKinds,
  ...MembershipMailKinds,
  ...AccountMailKinds,
  ...CatchUpMailKinds,
  ...SubscriptionMailKinds,
};

export function mailKindDefinition(kind: MailKind): MailKindDefinition {
  return MailKindDefinitions[kind];
}

/** Loads what the kind's templates need; a payload naming the wrong record type can never succeed. */
export function loadMailRecord(
  kind: MailKind,
  recordType: RecordType,
  context: RecordContext,
): Promise<RecordLookup> {
  const definition = MailKindDefinitions[kind];
  if (definition.recordType !== recordType) {
    throw new UnrecoverableError(`A ${kind} mail is about a ${definition.recordType}, not a ${recordType}`);
  }
  return definition.load(context);
}

/** In the mail's language and the recipient's zone; an unknown zone (stale profile data) falls back to UTC. */
export function formatMoment(moment: Date, locale: string, timeZone: string | null): string {
  const fields: Intl.DateTimeFormatOptions = {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  };
  try {
    return new Intl.DateTimeFormat(locale, { ...fields, timeZone: timeZone ?? 'UTC' }).format(moment);
  } catch {
    return new Intl.DateTimeFormat('en', { ...fields, timeZone: 'UTC' }).format(moment);
  }
}

/** A calendar date (`YYYY-MM-DD`, no zone) in the mail's language. */
export function formatDay(day: string | Date, locale: string): string {
  const iso = typeof day === 'string' ? day : day.toISOString().slice(0, 10);
  const date = new Date(`${iso.slice(0, 10)}T12:00:00Z`);
  const fields: Intl.DateTimeFormatOptions = {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    timeZone: 'UTC',
  };
  try {
    return new Intl.DateTimeFormat(locale, fields).format(date);
  } catch {
    return new Intl.DateTimeFormat('en', fields).format(date);
  }
}

export const notFound = { found: false, reason: 'record_not_found' } as const;
export const discarded = { found: false, reason: 'record_discarded' } as const;

export async function userNameOf(manager: EntityManager, userId: number | string | null): Promise<string> {
  if (userId === null) return '';
  const [row] = (await manager.query(`SELECT name FROM users WHERE id = $1`, [userId])) as {
    name: string | null;
  }[];
  return row?.name ?? '';
}
