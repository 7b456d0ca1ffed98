import type { MailKind } from '@lib/contracts';
import { UnrecoverableError } from '@lib/jetstream';
import { unreadThreads } from '../../digests/catch-up-activity';
import { formatMoment, type MailKindDefinition } from '../mail-records';

export const CatchUpMailKinds: Record<Extract<MailKind, 'catch_up'>, MailKindDefinition> = {
  /** The digest is read at send time for the window the digest run chose; nothing left unread, no mail. */
  catch_up: {
    recordType: 'User',
    async load({ manager, recordId, recipient, locale, appUrl, payload }) {
      if (recordId !== recipient.id) {
        throw new UnrecoverableError(`User ${recordId}'s digest cannot go to user ${recipient.id}`);
      }
      if (!payload.since || !payload.until)
        throw new UnrecoverableError('A catch_up mail needs since and until');
      const since = new Date(payload.since);
      const threads = await unreadThreads(manager, recipient.id, { since, until: new Date(payload.until) });
      if (threads.length === 0) return { found: false, reason: 'nothing_new' };
      return {
        found: true,
        data: {
          since: formatMoment(since, locale, recipient.timeZone),
          threads: threads.map((thread) => ({
            title: thread.title,
            url: `${appUrl}${thread.path}`,
            items: thread.items,
          })),
          dashboardUrl: `${appUrl}/dashboard`,
        },
      };
    },
  },
};
