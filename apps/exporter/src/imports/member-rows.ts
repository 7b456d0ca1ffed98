/** One valid row of a members CSV. */
export interface MemberRow {
  line: number;
  email: string;
  name: string | null;
  admin: boolean;
}

export type CheckedRow = { ok: true; row: MemberRow } | { ok: false; line: number; reasons: string[] };

/** The columns a members CSV must have (case and surrounding spaces ignored); others are ignored. */
export const MemberColumns = ['email', 'name', 'role'] as const;

const Email = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

/** Checks one parsed record (header -> value) and says every reason it is refused. */
export function checkMemberRow(line: number, record: Record<string, string | undefined>): CheckedRow {
  const reasons: string[] = [];
  const email = (record.email ?? '').trim().toLowerCase();
  const name = (record.name ?? '').trim();
  const role = (record.role ?? '').trim().toLowerCase();
  if (email === '') reasons.push('email is missing');
  else if (email.length > 254 || !Email.test(email))
    reasons.push(`email "${record.email}" is not an e-mail address`);
  if (name.length > 255) reasons.push('name is longer than 255 characters');
  if (role !== '' && role !== 'member' && role !== 'admin')
    reasons.push(`role "${record.role}" is neither "member" nor "admin"`);
  if (reasons.length > 0) return { ok: false, line, reasons };
  return { ok: true, row: { line, email, name: name === '' ? null : name, admin: role === 'admin' } };
}

/** Header names as the file spells them -> our names; throws a readable error when one is missing. */
export function normaliseHeader(header: string[]): string[] {
  const names = header.map((column) => column.trim().toLowerCase());
  const missing = MemberColumns.filter((column) => !names.includes(column));
  if (missing.length > 0) {
    throw new MalformedCsvError(
      `The file needs the columns ${MemberColumns.join(', ')}; ${missing.join(', ')} missing (found: ${header.join(', ') || 'nothing'})`,
    );
  }
  return names;
}

/** The file cannot be read as a members CSV; the import fails with this message and writes nothing. */
export class MalformedCsvError extends Error {
  override readonly name = 'MalformedCsvError';
}
