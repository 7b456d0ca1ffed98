import type { DataSource } from 'typeorm';

type Row = Record<string, unknown>;

let serial = 0;

/** Builds just the rows a deliver-email test needs, with plain SQL, returning ids. */
export class MailWorld {
  constructor(private readonly db: DataSource) {}

  private async insert(table: string, values: Row): Promise<number> {
    const columns = Object.keys(values);
    const [row] = (await this.db.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`,
      columns.map((column) => values[column]),
    )) as { id: string }[];
    return Number(row.id);
  }

  async user(
    options: { locale?: string; verified?: boolean; deactivated?: boolean; spamComplaint?: boolean } = {},
  ): Promise<{ id: number; email: string; unsubscribeToken: string }> {
    serial++;
    const email = `user${serial}-${process.pid}@example.test`;
    const unsubscribeToken = `unsubscribe-${serial}-${process.pid}`;
    const id = await this.insert('users', {
      name: `User ${serial}`,
      email,
      locale: options.locale ?? 'en',
      email_verified: options.verified ?? true,
      deactivated_at: options.deactivated ? new Date() : null,
      spam_complaint_at: options.spamComplaint ? new Date() : null,
      unsubscribe_token: unsubscribeToken,
    });
    return { id, email, unsubscribeToken };
  }

  poll(options: { authorId: number; title?: string; discarded?: boolean }): Promise<number> {
    serial++;
    return this.insert('polls', {
      author_id: options.authorId,
      key: `poll${serial}`,
      title: options.title ?? 'Lunch <menu> & more',
      poll_type: 'proposal',
      closing_at: new Date(Date.now() + 20 * 3600_000),
      discarded_at: options.discarded ? new Date() : null,
    });
  }

  group(name: string): Promise<number> {
    return this.insert('groups', { name });
  }

  invitation(groupId: number, userId: number, inviterId: number, token: string): Promise<number> {
    return this.insert('memberships', { group_id: groupId, user_id: userId, inviter_id: inviterId, token });
  }

  async delivery(dedupeKey: string): Promise<
    | {
        status: string;
        error: string | null;
        message_id: string | null;
        sent_at: Date | null;
        to_address: string | null;
      }
    | undefined
  > {
    const [row] = (await this.db.query(
      `SELECT status, error, message_id, sent_at, to_address FROM mail_deliveries WHERE dedupe_key = $1`,
      [dedupeKey],
    )) as {
      status: string;
      error: string | null;
      message_id: string | null;
      sent_at: Date | null;
      to_address: string | null;
    }[];
    return row;
  }
}

/** Header values by lower-case name (folded lines joined) and the decoded text of the whole message. */
export function parseMail(raw: string): { headers: Map<string, string>; decoded: string } {
  const [head] = raw.split(/\r?\n\r?\n/, 1);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, decoded: decodeQuotedPrintable(raw) };
}

function decodeQuotedPrintable(text: string): string {
  const bytes = text
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}
