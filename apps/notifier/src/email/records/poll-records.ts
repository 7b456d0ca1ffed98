import type { EntityManager } from 'typeorm';
import type { MailKind } from '@lib/contracts';
import {
  formatMoment,
  notFound,
  userNameOf,
  type MailKindDefinition,
  type RecordLookup,
} from '../mail-records';

interface PollRow {
  id: string;
  key: string | null;
  title: string;
  author_id: string;
  closing_at: Date | null;
  closed_at: Date | null;
  discarded_at: Date | null;
}

export async function loadPollRow(
  manager: EntityManager,
  pollId: number | string,
): Promise<{ found: true; row: PollRow } | { found: false; reason: string }> {
  const [poll] = (await manager.query(
    `SELECT id, key, title, author_id, closing_at, closed_at, discarded_at FROM polls WHERE id = $1`,
    [pollId],
  )) as PollRow[];
  if (!poll) return notFound;
  if (poll.discarded_at) return { found: false, reason: 'record_discarded' };
  return { found: true, row: poll };
}

export function pollVariables(poll: PollRow, appUrl: string): Record<string, unknown> {
  return { pollTitle: poll.title, pollUrl: `${appUrl}/p/${encodeURIComponent(poll.key ?? poll.id)}` };
}

/** A poll still open, with its closing time for the recipient; a closed one makes the mail moot. */
async function openPoll({
  manager,
  recordId,
  recipient,
  locale,
  appUrl,
}: Parameters<MailKindDefinition['load']>[0]): Promise<RecordLookup> {
  const poll = await loadPollRow(manager, recordId);
  if (!poll.found) return poll;
  if (poll.row.closed_at) return { found: false, reason: 'poll_already_closed' };
  return {
    found: true,
    data: {
      ...pollVariables(poll.row, appUrl),
      closingAt: poll.row.closing_at ? formatMoment(poll.row.closing_at, locale, recipient.timeZone) : '',
    },
  };
}

export const PollMailKinds: Record<
  Extract<MailKind, 'poll_closing_soon' | 'poll_closed' | 'poll_created' | 'poll_reminder'>,
  MailKindDefinition
> = {
  poll_closing_soon: { recordType: 'Poll', load: openPoll },
  poll_reminder: { recordType: 'Poll', load: openPoll },
  poll_created: {
    recordType: 'Poll',
    async load(context) {
      const lookup = await openPoll(context);
      if (!lookup.found) return lookup;
      const [row] = (await context.manager.query(`SELECT author_id FROM polls WHERE id = $1`, [
        context.recordId,
      ])) as { author_id: string }[];
      return {
        found: true,
        data: { ...lookup.data, actorName: await userNameOf(context.manager, row.author_id) },
      };
    },
  },
  poll_closed: {
    recordType: 'Poll',
    async load({ manager, recordId, appUrl }) {
      const poll = await loadPollRow(manager, recordId);
      return poll.found ? { found: true, data: pollVariables(poll.row, appUrl) } : poll;
    },
  },
};
