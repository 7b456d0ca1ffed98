import type { EntityManager } from 'typeorm';
import type { MailKind, PayloadOf, DeliverEmail } from '@lib/contracts';
import { UnrecoverableError } from '@lib/jetstream';

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
}

/** The template variables of the record, or why the mail is moot now. */
export type RecordLookup = { found: true; data: Record<string, unknown> } | { found: false; reason: string };

export interface RecordContext {
  manager: EntityManager;
  recordId: number;
  recipient: Recipient;
  /** The language the mail is written in, for dates and numbers. */
  locale: string;
  appUrl: string;
}

interface MailKindDefinition {
  recordType: RecordType;
  load(context: RecordContext): Promise<RecordLookup>;
}

interface PollRow {
  id: string;
  key: string | null;
  title: string;
  closing_at: Date | null;
  closed_at: Date | null;
  discarded_at: Date | null;
}

interface MembershipRow {
  user_id: string;
  token: string | null;
  accepted_at: Date | null;
  revoked_at: Date | null;
  group_name: string | null;
  group_archived_at: Date | null;
  inviter_name: string | null;
}

const MailKindDefinitions: Record<MailKind, MailKindDefinition> = {
  poll_closing_soon: {
    recordType: 'Poll',
    async load({ manager, recordId, recipient, locale, appUrl }) {
      const poll = await loadPoll(manager, recordId);
      if (!poll.found) return poll;
      if (poll.row.closed_at) return { found: false, reason: 'poll_already_closed' };
      return {
        found: true,
        data: {
          ...pollVariables(poll.row, appUrl),
          closingAt: poll.row.closing_at ? formatMoment(poll.row.closing_at, locale, recipient.timeZone) : '',
        },
      };
    },
  },
  poll_closed: {
    recordType: 'Poll',
    async load({ manager, recordId, appUrl }) {
      const poll = await loadPoll(manager, recordId);
      return poll.found ? { found: true, data: pollVariables(poll.row, appUrl) } : poll;
    },
  },
  membership_invitation: {
    recordType: 'Membership',
    async load({ manager, recordId, recipient, appUrl }) {
      const [membership] = (await manager.query(
        `SELECT m.user_id, m.token, m.accepted_at, m.revoked_at,
                g.name AS group_name, g.archived_at AS group_archived_at, inviter.name AS inviter_name
         FROM memberships m
         LEFT JOIN groups g ON g.id = m.group_id
         LEFT JOIN users inviter ON inviter.id = m.inviter_id
         WHERE m.id = $1`,
        [recordId],
      )) as MembershipRow[];
      if (!membership || membership.group_name === null) return { found: false, reason: 'record_not_found' };
      if (Number(membership.user_id) !== recipient.id) {
        throw new UnrecoverableError(`Membership ${recordId} does not belong to user ${recipient.id}`);
      }
      if (membership.revoked_at || membership.group_archived_at) {
        return { found: false, reason: 'record_discarded' };
      }
      if (membership.accepted_at) return { found: false, reason: 'invitation_already_accepted' };
      return {
        found: true,
        data: {
          groupName: membership.group_name,
          inviterName: membership.inviter_name ?? '',
          invitationUrl: membership.token
            ? `${appUrl}/invitations/${encodeURIComponent(membership.token)}`
            : `${appUrl}/dashboard`,
        },
      };
    },
  },
};

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

async function loadPoll(
  manager: EntityManager,
  pollId: number,
): Promise<{ found: true; row: PollRow } | { found: false; reason: string }> {
  const [poll] = (await manager.query(
    `SELECT id, key, title, closing_at, closed_at, discarded_at FROM polls WHERE id = $1`,
    [pollId],
  )) as PollRow[];
  if (!poll) return { found: false, reason: 'record_not_found' };
  if (poll.discarded_at) return { found: false, reason: 'record_discarded' };
  return { found: true, row: poll };
}

function pollVariables(poll: PollRow, appUrl: string): Record<string, unknown> {
  return { pollTitle: poll.title, pollUrl: `${appUrl}/p/${encodeURIComponent(poll.key ?? poll.id)}` };
}

/** In the mail's language and the recipient's zone; an unknown zone (stale profile data) falls back to UTC. */
function formatMoment(moment: Date, locale: string, timeZone: string | null): string {
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
