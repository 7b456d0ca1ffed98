import { parse, CsvError } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import type { Readable } from 'node:stream';
import type { DataSource, EntityManager } from 'typeorm';
import { Subjects } from '@lib/contracts';
import type { Outbox, RejectedImportRow } from '@lib/db';
import type { ObjectFiles } from '@lib/jetstream';
import { checkMemberRow, MalformedCsvError, normaliseHeader, type MemberRow } from './member-rows';

export type ImportOutcome =
  | { status: 'completed'; imported: number; rejected: number }
  | { status: 'failed'; error: string }
  | { status: 'already-ended' | 'unknown' };

interface ImportRow {
  id: string;
  group_id: string;
  author_id: string;
  status: string;
  object_key: string | null;
  processed_rows: number;
}

/** Object name of the rejected rows of an import, in the imports bucket. */
export function importErrorsObjectName(importId: number): string {
  return `imports/${importId}-errors.csv`;
}

/**
 * Imports the members CSV of an `imports` row. A first pass reads the whole file to make sure it is a CSV with
 * the needed columns (a malformed file fails the import and changes nothing); the second adds or updates users
 * and memberships in batches, each committed with the row's progress (`processed_rows`, rejected rows), so a
 * redelivered job resumes after the last committed batch. Rejected rows end up in a downloadable errors CSV.
 */
export class MembersCsvImporter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly files: ObjectFiles,
    private readonly settings: { batchSize: number },
  ) {}

  async run(importId: number, working: () => void = () => undefined): Promise<ImportOutcome> {
    const found = (await this.dataSource.query(
      `SELECT id, group_id, author_id, status, object_key, processed_rows FROM imports WHERE id = $1`,
      [importId],
    )) as ImportRow[];
    const row = found[0];
    if (!row) return { status: 'unknown' };
    if (row.status === 'completed' || row.status === 'failed') return { status: 'already-ended' };
    await this.dataSource.query(
      `UPDATE imports SET status = 'running', started_at = COALESCE(started_at, now()), updated_at = now()
       WHERE id = $1`,
      [importId],
    );
    try {
      const upload = row.object_key ? await this.files.info(row.object_key) : null;
      if (!row.object_key || !upload)
        throw new MalformedCsvError(
          `The uploaded file ${row.object_key ?? '(none)'} is not in the imports bucket`,
        );
      if (upload.size === 0) throw new MalformedCsvError('The uploaded file is empty');
      // First pass: the file as a whole must parse, so a broken file imports nothing.
      for await (const _ of this.records(row.object_key)) working();
      await this.importRows(row, working);
    } catch (error) {
      if (!(error instanceof MalformedCsvError)) throw error;
      await this.markFailed(importId, error.message);
      return { status: 'failed', error: error.message };
    }
    return this.finish(importId);
  }

  /** Marks the import failed (malformed file, or the job used its last attempt) and announces it. */
  async markFailed(importId: number, error: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const [updated] = (await manager.query(
        `UPDATE imports SET status = 'failed', error = $2, finished_at = now(), updated_at = now()
         WHERE id = $1 AND status IN ('pending', 'running')
         RETURNING group_id, imported_rows, jsonb_array_length(rejected_rows) AS rejected`,
        [importId, error.slice(0, 2000)],
      )) as [{ group_id: string; imported_rows: number; rejected: number }[], number];
      if (updated.length === 0) return;
      await this.announce(manager, importId, Number(updated[0].group_id), 'failed', updated[0]);
    });
  }

  private async importRows(row: ImportRow, working: () => void): Promise<void> {
    let batch: MemberRow[] = [];
    let rejected: RejectedImportRow[] = [];
    let index = 0;
    const flush = async () => {
      await this.writeBatch(row, batch, rejected, index);
      batch = [];
      rejected = [];
      working();
    };
    for await (const { line, record } of this.records(row.object_key!)) {
      index++;
      // Rows up to processed_rows were committed by an earlier attempt.
      if (index <= row.processed_rows) continue;
      const checked = checkMemberRow(line, record);
      if (checked.ok) batch.push(checked.row);
      else rejected.push({ line: checked.line, reasons: checked.reasons });
      if (batch.length + rejected.length >= this.settings.batchSize) await flush();
    }
    if (batch.length + rejected.length > 0) await flush();
  }

  private async writeBatch(
    row: ImportRow,
    members: MemberRow[],
    rejected: RejectedImportRow[],
    processed: number,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      // The last row of an e-mail wins within a batch (one statement may not update a row twice).
      const byEmail = new Map(members.map((member) => [member.email, member]));
      const unique = [...byEmail.values()];
      let imported = 0;
      if (unique.length > 0) {
        await manager.query(
          `INSERT INTO users (email, name, email_verified)
           SELECT email, name, false FROM unnest($1::text[], $2::text[]) AS u(email, name)
           ON CONFLICT (email) DO NOTHING`,
          [unique.map((m) => m.email), unique.map((m) => m.name)],
        );
        const users = (await manager.query(
          `SELECT id, email, deactivated_at FROM users WHERE email = ANY($1)`,
          [unique.map((m) => m.email)],
        )) as { id: string; email: string; deactivated_at: Date | null }[];
        const active = new Map(users.filter((u) => !u.deactivated_at).map((u) => [u.email, u.id]));
        const accepted = unique.filter((m) => active.has(m.email));
        for (const member of unique) {
          if (!active.has(member.email))
            rejected.push({ line: member.line, reasons: ['the account with this e-mail is deactivated'] });
        }
        if (accepted.length > 0) {
          await manager.query(
            `INSERT INTO memberships (group_id, user_id, admin, accepted_at, inviter_id)
             SELECT $1, user_id, admin, now(), $2 FROM unnest($3::bigint[], $4::boolean[]) AS m(user_id, admin)
             ON CONFLICT (group_id, user_id) DO UPDATE
               SET admin = EXCLUDED.admin, revoked_at = NULL,
                   accepted_at = COALESCE(memberships.accepted_at, now()), updated_at = now()`,
            [
              row.group_id,
              row.author_id,
              accepted.map((m) => active.get(m.email)),
              accepted.map((m) => m.admin),
            ],
          );
        }
        imported = members.filter((m) => active.has(m.email)).length;
      }
      rejected.sort((a, b) => a.line - b.line);
      await manager.query(
        `UPDATE imports SET processed_rows = $2, imported_rows = imported_rows + $3,
           rejected_rows = rejected_rows || $4::jsonb, updated_at = now()
         WHERE id = $1`,
        [row.id, processed, imported, JSON.stringify(rejected)],
      );
    });
  }

  private async finish(importId: number): Promise<ImportOutcome> {
    const [state] = (await this.dataSource.query(
      `SELECT group_id, object_key, imported_rows, rejected_rows FROM imports WHERE id = $1`,
      [importId],
    )) as {
      group_id: string;
      object_key: string;
      imported_rows: number;
      rejected_rows: RejectedImportRow[];
    }[];
    const errorsKey = state.rejected_rows.length > 0 ? importErrorsObjectName(importId) : null;
    if (errorsKey) {
      await this.files.put(errorsKey, this.errorsCsv(state.object_key, state.rejected_rows), {
        contentType: 'text/csv; charset=utf-8',
      });
    }
    await this.dataSource.transaction(async (manager) => {
      const [updated] = (await manager.query(
        `UPDATE imports SET status = 'completed', errors_object_key = $2, finished_at = now(), updated_at = now()
         WHERE id = $1 AND status = 'running' RETURNING id`,
        [importId, errorsKey],
      )) as [unknown[], number];
      if (updated.length === 0) return;
      await this.announce(manager, importId, Number(state.group_id), 'completed', {
        imported_rows: state.imported_rows,
        rejected: state.rejected_rows.length,
      });
    });
    return { status: 'completed', imported: state.imported_rows, rejected: state.rejected_rows.length };
  }

  /** The rejected rows as they were in the file, each with its line number and reasons. */
  private async *errorsCsv(objectKey: string, rejected: RejectedImportRow[]): AsyncGenerator<string> {
    const reasons = new Map(rejected.map((r) => [r.line, r.reasons.join('; ')]));
    yield stringify([['line', 'email', 'name', 'role', 'reasons']], { escape_formulas: true });
    for await (const { line, record } of this.records(objectKey)) {
      const why = reasons.get(line);
      if (why === undefined) continue;
      yield stringify([[line, record.email ?? '', record.name ?? '', record.role ?? '', why]], {
        escape_formulas: true,
      });
    }
  }

  private announce(
    manager: EntityManager,
    importId: number,
    groupId: number,
    status: 'completed' | 'failed',
    counts: { imported_rows: number; rejected: number },
  ) {
    return this.outbox.publish(manager, Subjects.ImportFinished, {
      importId,
      groupId,
      status,
      importedRows: counts.imported_rows,
      rejectedRows: Number(counts.rejected),
    });
  }

  /** Streams the file's records with the line each ends on; a parse error becomes a MalformedCsvError. */
  private async *records(
    objectKey: string,
  ): AsyncGenerator<{ line: number; record: Record<string, string> }> {
    const download = await this.files.get(objectKey);
    if (!download) throw new MalformedCsvError(`The uploaded file ${objectKey} is not in the imports bucket`);
    const parser = parseMembers(download.stream);
    try {
      for await (const parsed of parser as AsyncIterable<{
        record: Record<string, string>;
        info: { lines: number };
      }>)
        yield { line: parsed.info.lines, record: parsed.record };
    } catch (error) {
      if (error instanceof MalformedCsvError) throw error;
      if (error instanceof CsvError) throw new MalformedCsvError(`Malformed CSV: ${error.message}`);
      throw error;
    } finally {
      download.stream.destroy();
    }
  }
}

function parseMembers(stream: Readable) {
  const parser = parse({
    bom: true,
    columns: (header: string[]) => normaliseHeader(header),
    info: true,
    skip_empty_lines: true,
    max_record_size: 64 * 1024,
  });
  stream.on('error', (error) => parser.destroy(error));
  return stream.pipe(parser);
}
