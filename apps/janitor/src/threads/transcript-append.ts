import type { EntityManager } from 'typeorm';
import type { SearchIndex } from '../search/search-index';

/** Where each kind of record keeps its rich text. */
const RichTextColumn: Record<string, { table: string; column: string }> = {
  Comment: { table: 'comments', column: 'body' },
  Discussion: { table: 'discussions', column: 'description' },
  Poll: { table: 'polls', column: 'details' },
  Outcome: { table: 'outcomes', column: 'statement' },
  Stance: { table: 'stances', column: 'reason' },
  Group: { table: 'groups', column: 'description' },
};

const escapeHtml = (text: string) =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

export type AppendOutcome =
  | { appended: false; reason: 'unknown-attachment' | 'unknown-record' }
  | { appended: true; recordType: string; recordId: number };

/**
 * append-transcript: the transcript of an audio or video attachment becomes an escaped paragraph at the end
 * of the rich text of the record it is attached to. Runs inside the caller's inbox transaction, so a
 * redelivered job never appends twice.
 */
export class TranscriptAppend {
  constructor(private readonly search: SearchIndex) {}

  async append(manager: EntityManager, attachmentId: number, text: string): Promise<AppendOutcome> {
    const [attachment] = (await manager.query(
      `SELECT record_type, record_id FROM attachments WHERE id = $1 AND deleted_at IS NULL`,
      [attachmentId],
    )) as { record_type: string; record_id: string }[];
    if (!attachment) return { appended: false, reason: 'unknown-attachment' };
    const target = RichTextColumn[attachment.record_type];
    const recordId = Number(attachment.record_id);
    if (!target) return { appended: false, reason: 'unknown-record' };
    const paragraph = `<p>${escapeHtml(text.trim()).replace(/\r?\n/g, '<br>')}</p>`;
    const [, updated] = (await manager.query(
      `UPDATE ${target.table} SET ${target.column} = coalesce(${target.column}, '') || $2, updated_at = now() WHERE id = $1`,
      [recordId, paragraph],
    )) as [unknown, number];
    if (updated === 0) return { appended: false, reason: 'unknown-record' };
    if (attachment.record_type === 'Comment') await this.search.syncComments([recordId], manager);
    if (attachment.record_type === 'Discussion') await this.search.syncDiscussions([recordId], manager);
    if (attachment.record_type === 'Poll') await this.search.syncPolls([recordId], manager);
    return { appended: true, recordType: attachment.record_type, recordId };
  }
}
