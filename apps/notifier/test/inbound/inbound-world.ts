import type { DataSource } from 'typeorm';
import { formatReplyAddress } from '../../src/inbound/inbound-addresses';
import { NotifyWorld } from '../notify-world';

export const InboundDomain = 'loomio.test';

let serial = 0;

export interface MailOptions {
  headers: Record<string, string | string[]>;
  text?: string | null;
  html?: string | null;
  spf?: boolean;
  dkim?: boolean;
}

export interface StoredMail {
  released: boolean;
  group_id: string | null;
  routed_at: Date | null;
  route_outcome: string | null;
  route_error: string | null;
}

/** Threads with a root event, users with reply keys, groups with handles, and inbound mail as the web app stores it. */
export class InboundWorld extends NotifyWorld {
  constructor(private readonly dataSource: DataSource) {
    super(dataSource);
  }

  /** A user with an e-mail reply key; returns the id and the key. */
  async keyedUser(options: Parameters<NotifyWorld['user']>[0] = {}): Promise<{ id: number; key: string }> {
    const id = await this.user(options);
    const key = `key${++serial}x${process.pid}abcdef`;
    await this.dataSource.query(`UPDATE users SET email_api_key = $2 WHERE id = $1`, [id, key]);
    return { id, key };
  }

  async handledGroup(): Promise<{ id: number; handle: string }> {
    const id = await this.group();
    const handle = `team-${++serial}-${process.pid}`;
    await this.dataSource.query(`UPDATE groups SET handle = $2 WHERE id = $1`, [id, handle]);
    return { id, handle };
  }

  /** A discussion with its new_discussion root event at sequence 0, as the app writes it. */
  async thread(groupId: number | null, authorId: number): Promise<number> {
    const discussionId = await this.discussion(groupId, authorId);
    await this.insert('events', {
      kind: 'new_discussion',
      eventable_type: 'Discussion',
      eventable_id: discussionId,
      user_id: authorId,
      discussion_id: discussionId,
      sequence_id: 0,
    });
    return discussionId;
  }

  replyAddress(discussionId: number, user: { id: number; key: string }): string {
    return formatReplyAddress({ discussionId, userId: user.id, key: user.key }, InboundDomain);
  }

  async mail(options: MailOptions): Promise<number> {
    return this.insert('received_emails', {
      headers: JSON.stringify(options.headers),
      body_text: options.text === undefined ? 'Sounds good to me.' : options.text,
      body_html: options.html ?? null,
      spf_valid: options.spf ?? true,
      dkim_valid: options.dkim ?? true,
    });
  }

  /** A reply by mail to a thread notification. */
  async reply(
    discussionId: number,
    user: { id: number; key: string },
    text = 'Sounds good to me.',
  ): Promise<number> {
    return this.mail({
      headers: {
        from: `Someone <${await this.email(user.id)}>`,
        to: `Loomio <${this.replyAddress(discussionId, user)}>`,
        subject: 'Re: Where to meet',
      },
      text,
    });
  }

  async stored(mailId: number): Promise<StoredMail> {
    const [row] = (await this.dataSource.query(
      `SELECT released, group_id, routed_at, route_outcome, route_error FROM received_emails WHERE id = $1`,
      [mailId],
    )) as StoredMail[];
    return row;
  }

  async comments(discussionId: number): Promise<{ id: number; author_id: string; body: string }[]> {
    const rows = (await this.dataSource.query(
      `SELECT id, author_id, body FROM comments WHERE discussion_id = $1 ORDER BY id`,
      [discussionId],
    )) as { id: string; author_id: string; body: string }[];
    return rows.map((row) => ({ ...row, id: Number(row.id) }));
  }

  async outboxed(subject: string): Promise<Record<string, number | null>[]> {
    return (
      await this.dataSource.query(
        `SELECT payload FROM outbox_messages WHERE subject = $1 ORDER BY created_at, id`,
        [subject],
      )
    ).map((row: { payload: Record<string, number | null> }) => row.payload);
  }
}
