import { formatReplyAddress } from '../inbound/inbound-addresses';
import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { DeliverEmail, PayloadOf } from '@lib/contracts';
import { loadMailRecord, mailKindDefinition, type Recipient } from './mail-records';
import { MailRenderer } from './mail-renderer';
import { smtpResponseCode, type MailSender } from './mail-transport';

export type DeliverEmailPayload = PayloadOf<typeof DeliverEmail>;

export type DeliveryOutcome =
  | { status: 'sent'; messageId: string }
  | { status: 'skipped'; reason: string }
  | { status: 'bounced'; error: string }
  /** An earlier delivery of the same job already settled it. */
  | { status: 'duplicate'; settledAs: string };

/** The relay refused for now (4xx) or could not be reached; the job is retried and the slot re-taken. */
export class TemporaryDeliveryError extends Error {
  override readonly name = 'TemporaryDeliveryError';
}

/** Statuses after which the dedupe key is spent; `pending` and `failed` rows are taken again by a retry. */
const SettledStatuses = new Set(['sent', 'skipped', 'bounced']);

export interface EmailDeliveryOptions {
  appUrl: string;
  /** The domain of the Message-IDs we mint, taken from MAIL_FROM. */
  messageIdDomain: string;
  /** The inbound domain of reply addresses (REPLY_HOSTNAME); thread mails carry a Reply-To there. */
  replyDomain?: string;
}

interface RecipientRow {
  id: string;
  name: string | null;
  email: string | null;
  locale: string | null;
  time_zone: string | null;
  email_verified: boolean;
  deactivated_at: Date | null;
  spam_complaint_at: Date | null;
  unsubscribe_token: string | null;
  email_api_key: string | null;
}

/**
 * Sends one mail per dedupe key. The `mail_deliveries` row of the key is locked for the whole attempt
 * (send included), so a concurrent delivery of the same job waits and then finds it settled: a mail is
 * sent at most once per key, unless the process dies between the relay's acceptance and the commit.
 */
export class EmailDelivery {
  constructor(
    private readonly dataSource: DataSource,
    private readonly renderer: MailRenderer,
    private readonly sender: MailSender,
    private readonly options: EmailDeliveryOptions,
  ) {}

  async deliver(payload: DeliverEmailPayload): Promise<DeliveryOutcome> {
    let temporaryFailure: string | undefined;
    const outcome = await this.dataSource.transaction(async (manager) => {
      const slot = await this.takeSlot(manager, payload);
      if (SettledStatuses.has(slot.status)) return { status: 'duplicate' as const, settledAs: slot.status };
      const result = await this.attempt(manager, slot.id, payload);
      if ('temporaryFailure' in result) {
        // Kept (not rolled back) so the reason is visible while the job waits for its retry.
        temporaryFailure = result.temporaryFailure;
        await this.settle(manager, slot.id, 'failed', { error: temporaryFailure });
        return undefined;
      }
      return result;
    });
    if (!outcome) throw new TemporaryDeliveryError(temporaryFailure ?? 'temporary SMTP failure');
    return outcome;
  }

  /** Claims the key, or waits for whoever holds it: ON CONFLICT DO NOTHING, then the row under FOR UPDATE. */
  private async takeSlot(
    manager: EntityManager,
    payload: DeliverEmailPayload,
  ): Promise<{ id: number; status: string }> {
    await manager.query(
      `INSERT INTO mail_deliveries (dedupe_key, recipient_id, kind, status) VALUES ($1, $2, $3, 'pending')
       ON CONFLICT (dedupe_key) DO NOTHING`,
      [payload.dedupeKey, payload.recipientId, payload.kind],
    );
    const [row] = (await manager.query(
      `SELECT id, status FROM mail_deliveries WHERE dedupe_key = $1 FOR UPDATE`,
      [payload.dedupeKey],
    )) as { id: string; status: string }[];
    return { id: Number(row.id), status: row.status };
  }

  private async attempt(
    manager: EntityManager,
    deliveryId: number,
    payload: DeliverEmailPayload,
  ): Promise<DeliveryOutcome | { temporaryFailure: string }> {
    const recipient = await this.loadRecipient(manager, payload.recipientId);
    const skip = async (reason: string): Promise<DeliveryOutcome> => {
      await this.settle(manager, deliveryId, 'skipped', { error: reason });
      return { status: 'skipped', reason };
    };
    const unsendable = recipient ? whyNotToMail(recipient, payload) : 'recipient_not_found';
    if (unsendable || !recipient?.email) return skip(unsendable ?? 'no_email_address');

    // Dates and numbers follow the language the mail is written in (a Dutch reader of the English fallback
    // gets English dates, not an English sentence with a Dutch date in it).
    const locale = this.renderer.languageFor(payload.kind, payload.locale ?? recipient.locale);
    const record = await loadMailRecord(payload.kind, payload.recordType, {
      manager,
      recordId: payload.recordId,
      recipient,
      locale,
      appUrl: this.options.appUrl,
      payload,
    });
    if (!record.found) return skip(record.reason);

    const unsubscribeUrl = this.unsubscribeUrl(recipient);
    const mail = this.renderer.render(payload.kind, locale, {
      ...record.data,
      recipientName: recipient.name ?? '',
      unsubscribeUrl,
    });
    await manager.query(`UPDATE mail_deliveries SET to_address = $2, updated_at = now() WHERE id = $1`, [
      deliveryId,
      recipient.email,
    ]);
    let messageId: string;
    try {
      messageId = await this.sender.send({
        to: recipient.email,
        subject: mail.subject,
        html: mail.html,
        text: mail.text,
        attachments: record.attachments,
        messageId: this.messageIdFor(payload.dedupeKey),
        headers: {
          // Tells auto-responders and mail clients this is automated bulk mail (RFC 3834, RFC 2076).
          Precedence: 'bulk',
          'Auto-Submitted': 'auto-generated',
          'List-Unsubscribe': `<${unsubscribeUrl}>`,
          'Content-Language': mail.locale,
          ...this.replyToHeader(recipient, record.replyThreadId),
        },
      });
    } catch (error) {
      const code = smtpResponseCode(error);
      const message = (error as Error).message;
      if (code !== undefined && code >= 500) {
        // Loomio retried permanent refusals; the address will not start accepting this message later.
        await this.settle(manager, deliveryId, 'bounced', { error: message });
        return { status: 'bounced', error: message };
      }
      return { temporaryFailure: message };
    }
    await this.settle(manager, deliveryId, 'sent', { messageId });
    return { status: 'sent', messageId };
  }

  /** `Reply-To: reply+d=..&u=..&k=..@domain`, which route-received-emails turns back into a comment. */
  private replyToHeader(recipient: Recipient, threadId: number | undefined): Record<string, string> {
    if (threadId === undefined || !recipient.emailApiKey || !this.options.replyDomain) return {};
    const address = formatReplyAddress(
      { discussionId: threadId, userId: recipient.id, key: recipient.emailApiKey },
      this.options.replyDomain,
    );
    return { 'Reply-To': address };
  }

  private async loadRecipient(manager: EntityManager, userId: number): Promise<Recipient | undefined> {
    const [row] = (await manager.query(
      `SELECT id, name, email, locale, time_zone, email_verified, deactivated_at, spam_complaint_at, unsubscribe_token,
              email_api_key
       FROM users WHERE id = $1`,
      [userId],
    )) as RecipientRow[];
    if (!row) return undefined;
    return {
      id: Number(row.id),
      name: row.name,
      email: row.email,
      locale: row.locale,
      timeZone: row.time_zone,
      emailVerified: row.email_verified,
      deactivated: row.deactivated_at !== null,
      spamComplaint: row.spam_complaint_at !== null,
      unsubscribeToken: row.unsubscribe_token,
      emailApiKey: row.email_api_key,
    };
  }

  private async settle(
    manager: EntityManager,
    deliveryId: number,
    status: 'sent' | 'skipped' | 'bounced' | 'failed',
    details: { error?: string; messageId?: string },
  ): Promise<void> {
    await manager.query(
      `UPDATE mail_deliveries
       SET status = $2, error = $3, message_id = $4, sent_at = $5, updated_at = now()
       WHERE id = $1`,
      [
        deliveryId,
        status,
        details.error ?? null,
        details.messageId ?? null,
        status === 'sent' ? new Date() : null,
      ],
    );
  }

  /** Without a token the preferences page still works, after signing in. */
  private unsubscribeUrl(recipient: Recipient): string {
    const page = `${this.options.appUrl}/email_preferences`;
    return recipient.unsubscribeToken
      ? `${page}?unsubscribe_token=${encodeURIComponent(recipient.unsubscribeToken)}`
      : page;
  }

  /** Derived from the dedupe key, so a mail re-sent after a crash carries the same id and clients fold the two. */
  private messageIdFor(dedupeKey: string): string {
    const hash = createHash('sha256').update(dedupeKey).digest('hex').slice(0, 32);
    return `<${hash}@${this.options.messageIdDomain}>`;
  }
}

/** The skip rules, in the order the reasons are reported. */
function whyNotToMail(recipient: Recipient, payload: DeliverEmailPayload): string | undefined {
  const policy = mailKindDefinition(payload.kind);
  // The erasure confirmation is the one mail a deactivated account still gets.
  if (recipient.deactivated && !policy.mailsDeactivated) return 'user_deactivated';
  if (recipient.spamComplaint) return 'spam_complaint';
  // An invitation is how an unverified address gets verified, so it is the one mail it may receive.
  if (!recipient.emailVerified && !policy.mailsUnverified) return 'email_unverified';
  return undefined;
}

/** `Loomio <notifications@loomio.example>` -> `loomio.example`. */
export function mailDomainOf(from: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  return address.split('@')[1]?.trim() || 'localhost';
}
