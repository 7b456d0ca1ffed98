import type { DataSource, EntityManager } from 'typeorm';
import type { Outbox } from '@lib/db';
import {
  decodeEncodedWords,
  domainOf,
  headerValue,
  routeOf,
  senderAddress,
  type MailHeaders,
  type ReplyAddress,
} from './inbound-addresses';
import { domainAndParents, screenMail, type DropReason } from './mail-screening';
import { textToHtml, visibleText } from './reply-text';
import { insertComment, insertDiscussion, keysMatch } from './thread-writes';

/** Why a mail that passed screening could not be posted. */
export type RejectReason =
  | 'no_route'
  | 'user_not_found'
  | 'wrong_key'
  | 'user_deactivated'
  | 'discussion_not_found'
  | 'discussion_discarded'
  | 'discussion_closed'
  | 'not_a_member'
  | 'unknown_group'
  | 'unknown_sender'
  | 'empty_body';

export type RouteOutcome =
  | { outcome: 'comment'; commentId: number; discussionId: number; eventId: number }
  | { outcome: 'discussion'; discussionId: number; groupId: number; eventId: number }
  | { outcome: 'dropped'; reason: DropReason }
  | { outcome: 'rejected'; reason: RejectReason }
  /** Another run holds the mail or has already decided about it. */
  | { outcome: 'taken' };

export interface RouteReport {
  comments: number;
  discussions: number;
  dropped: number;
  rejected: number;
  /** Mails whose routing threw; they stay unrouted and are tried again. */
  failed: number;
}

interface MailRow {
  id: string;
  headers: MailHeaders;
  body_text: string | null;
  body_html: string | null;
  spf_valid: boolean;
  dkim_valid: boolean;
}

type Posted = Extract<RouteOutcome, { outcome: 'comment' | 'discussion' }>;
type Decision =
  Posted | { outcome: 'dropped'; reason: DropReason } | { outcome: 'rejected'; reason: RejectReason };

const TitleLength = 255;

/**
 * route-received-emails (Loomio's ReceivedEmailService.route): every mail not routed yet, oldest first, each
 * in its own transaction that takes the row with FOR UPDATE SKIP LOCKED and re-checks it is still unrouted, so
 * two replicas or a redelivered job post a mail once. The same transaction writes the comment or discussion,
 * its activity row, the mail's outcome and the domain event (outbox).
 */
export class ReceivedEmailRouter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly options: { domain: string; batchSize?: number },
  ) {}

  async routeAll(
    onRouted: (mailId: number, outcome: RouteOutcome) => void = () => undefined,
    onError: (mailId: number, error: unknown) => void = () => undefined,
  ): Promise<RouteReport> {
    const report: RouteReport = { comments: 0, discussions: 0, dropped: 0, rejected: 0, failed: 0 };
    const batchSize = this.options.batchSize ?? 200;
    let afterId = 0;
    for (;;) {
      const rows = (await this.dataSource.query(
        `SELECT id FROM received_emails WHERE routed_at IS NULL AND released = false AND id > $1
         ORDER BY id LIMIT $2`,
        [afterId, batchSize],
      )) as { id: string }[];
      for (const row of rows) {
        const mailId = Number(row.id);
        try {
          const outcome = await this.routeOne(mailId);
          if (outcome.outcome === 'comment') report.comments++;
          else if (outcome.outcome === 'discussion') report.discussions++;
          else if (outcome.outcome === 'dropped') report.dropped++;
          else if (outcome.outcome === 'rejected') report.rejected++;
          onRouted(mailId, outcome);
        } catch (error) {
          // One broken mail must not hold up the others; it stays unrouted and the job reports the failure.
          report.failed++;
          onError(mailId, error);
        }
      }
      if (rows.length < batchSize) return report;
      afterId = Number(rows[rows.length - 1].id);
    }
  }

  routeOne(mailId: number): Promise<RouteOutcome> {
    return this.dataSource.transaction(async (manager) => {
      const [mail] = (await manager.query(
        `SELECT id, headers, body_text, body_html, spf_valid, dkim_valid FROM received_emails
         WHERE id = $1 AND routed_at IS NULL AND released = false
         FOR UPDATE SKIP LOCKED`,
        [mailId],
      )) as MailRow[];
      if (!mail) return { outcome: 'taken' as const };
      const decision = await this.decide(manager, mail);
      await this.record(manager, mailId, decision);
      return decision;
    });
  }

  private async decide(manager: EntityManager, mail: MailRow): Promise<Decision> {
    // jsonb written by another program: anything but an object of headers is treated as no headers.
    const headers: MailHeaders =
      mail.headers && typeof mail.headers === 'object' && !Array.isArray(mail.headers) ? mail.headers : {};
    const screened = screenMail({ headers, spfValid: mail.spf_valid, dkimValid: mail.dkim_valid });
    if (screened) return { outcome: 'dropped', reason: screened };
    const sender = senderAddress(headers);
    if (sender && (await isBlocked(manager, domainOf(sender))))
      return { outcome: 'dropped', reason: 'blocked_domain' };

    const route = routeOf(headers, this.options.domain);
    if (route.kind === 'none') return { outcome: 'rejected', reason: 'no_route' };
    const text = visibleText({ bodyText: mail.body_text, bodyHtml: mail.body_html });
    if (route.kind === 'reply') return this.postReply(manager, route.reply, text);
    return this.startDiscussion(manager, route.handle, sender, headerSubject(headers), text);
  }

  private async postReply(manager: EntityManager, reply: ReplyAddress, text: string): Promise<Decision> {
    const reject = (reason: RejectReason) => ({ outcome: 'rejected' as const, reason });
    const [user] = (await manager.query(`SELECT email_api_key, deactivated_at FROM users WHERE id = $1`, [
      reply.userId,
    ])) as { email_api_key: string | null; deactivated_at: Date | null }[];
    if (!user) return reject('user_not_found');
    if (!keysMatch(reply.key, user.email_api_key)) return reject('wrong_key');
    if (user.deactivated_at) return reject('user_deactivated');
    // The discussion's row lock also serialises sequence ids with every other writer of the thread.
    const [discussion] = (await manager.query(
      `SELECT group_id, closed_at, discarded_at FROM discussions WHERE id = $1 FOR UPDATE`,
      [reply.discussionId],
    )) as { group_id: string | null; closed_at: Date | null; discarded_at: Date | null }[];
    if (!discussion) return reject('discussion_not_found');
    if (discussion.discarded_at) return reject('discussion_discarded');
    if (discussion.closed_at) return reject('discussion_closed');
    if (!(await canSeeThread(manager, reply.userId, reply.discussionId, discussion.group_id))) {
      return reject('not_a_member');
    }
    if (!text) return reject('empty_body');
    const { commentId, eventId } = await insertComment(manager, {
      discussionId: reply.discussionId,
      authorId: reply.userId,
      bodyHtml: textToHtml(text),
    });
    await this.outbox.publish(manager, 'events.comment.created', {
      eventId,
      actorId: reply.userId,
      commentId,
      discussionId: reply.discussionId,
      parentId: null,
    });
    return { outcome: 'comment', commentId, discussionId: reply.discussionId, eventId };
  }

  private async startDiscussion(
    manager: EntityManager,
    handle: string,
    sender: string | undefined,
    subject: string,
    text: string,
  ): Promise<Decision> {
    const reject = (reason: RejectReason) => ({ outcome: 'rejected' as const, reason });
    const [group] = (await manager.query(
      `SELECT id FROM groups WHERE lower(handle) = $1 AND archived_at IS NULL`,
      [handle],
    )) as { id: string }[];
    if (!group) return reject('unknown_group');
    const groupId = Number(group.id);
    if (!sender) return reject('unknown_sender');
    // Loomio matched the sender by address alone; only a verified address proves the mailbox is the user's.
    const [author] = (await manager.query(
      `SELECT u.id, m.id AS membership_id FROM users u
       LEFT JOIN memberships m ON m.user_id = u.id AND m.group_id = $2
                              AND m.accepted_at IS NOT NULL AND m.revoked_at IS NULL
       WHERE lower(u.email) = lower($1) AND u.email_verified AND u.deactivated_at IS NULL`,
      [sender, groupId],
    )) as { id: string; membership_id: string | null }[];
    if (!author) return reject('unknown_sender');
    if (!author.membership_id) return reject('not_a_member');
    const title = (subject || text.split('\n')[0] || '').slice(0, TitleLength).trim();
    if (!title) return reject('empty_body');
    const authorId = Number(author.id);
    const { discussionId, eventId } = await insertDiscussion(manager, {
      groupId,
      authorId,
      title,
      descriptionHtml: textToHtml(text),
    });
    await this.outbox.publish(manager, 'events.discussion.created', {
      eventId,
      actorId: authorId,
      discussionId,
      groupId,
    });
    return { outcome: 'discussion', discussionId, groupId, eventId };
  }

  private async record(manager: EntityManager, mailId: number, decision: Decision): Promise<void> {
    const posted = decision.outcome === 'comment' || decision.outcome === 'discussion';
    const groupId =
      decision.outcome === 'discussion'
        ? decision.groupId
        : decision.outcome === 'comment'
          ? await groupOfDiscussion(manager, decision.discussionId)
          : null;
    await manager.query(
      `UPDATE received_emails
       SET routed_at = now(), route_outcome = $2, route_error = $3, released = $4,
           group_id = COALESCE($5, group_id), updated_at = now()
       WHERE id = $1`,
      [mailId, decision.outcome, 'reason' in decision ? decision.reason : null, posted, groupId],
    );
  }
}

/** An accepted, unrevoked membership of the thread's group, or an unrevoked guest invitation to the thread. */
async function canSeeThread(
  manager: EntityManager,
  userId: number,
  discussionId: number,
  groupId: string | null,
): Promise<boolean> {
  const [row] = (await manager.query(
    `SELECT EXISTS (SELECT 1 FROM memberships WHERE group_id = $3 AND user_id = $1
                      AND accepted_at IS NOT NULL AND revoked_at IS NULL)
         OR EXISTS (SELECT 1 FROM discussion_readers WHERE discussion_id = $2 AND user_id = $1
                      AND guest AND revoked_at IS NULL) AS allowed`,
    [userId, discussionId, groupId],
  )) as { allowed: boolean }[];
  return row.allowed;
}

async function isBlocked(manager: EntityManager, domain: string): Promise<boolean> {
  const rows = (await manager.query(`SELECT 1 FROM blocked_domains WHERE name = ANY($1::text[]) LIMIT 1`, [
    domainAndParents(domain),
  ])) as unknown[];
  return rows.length > 0;
}

async function groupOfDiscussion(manager: EntityManager, discussionId: number): Promise<number | null> {
  const [row] = (await manager.query(`SELECT group_id FROM discussions WHERE id = $1`, [discussionId])) as {
    group_id: string | null;
  }[];
  return row?.group_id ? Number(row.group_id) : null;
}

/** The subject, without the reply/forward prefixes mail clients add and with its whitespace folded. */
function headerSubject(headers: MailHeaders): string {
  return decodeEncodedWords(headerValue(headers, 'subject') ?? '')
    .replace(/\s+/g, ' ')
    .replace(/^\s*((re|fwd?|aw|wg)\s*:\s*)+/i, '')
    .trim();
}
