import { getMetadataArgsStorage } from 'typeorm';
import { AllEntities } from '@lib/db';
import { isExportable, NotSecret, SecretColumns, SecretLooking, TablesNeverExported } from './export-columns';
import { ExportPlan } from './export-plan';

/** Every (table, column) the entities declare, from TypeORM's decorator metadata (no database needed). */
function entityColumns(): { table: string; column: string }[] {
  const storage = getMetadataArgsStorage();
  const entities = new Set<unknown>(AllEntities);
  const found: { table: string; column: string }[] = [];
  for (const table of storage.tables) {
    if (!entities.has(table.target) || !table.name) continue;
    const inherited = storage.filterColumns(table.target as new () => unknown);
    for (const column of inherited) {
      found.push({ table: table.name, column: column.options.name ?? column.propertyName });
    }
  }
  return found;
}

describe('export columns: no secret leaves in an export', () => {
  const columns = entityColumns();
  const exported = new Set(ExportPlan.map((plan) => plan.table));

  it('sees the entities (so the checks below are not vacuous)', () => {
    expect(columns.length).toBeGreaterThan(200);
    expect(columns).toContainEqual({ table: 'users', column: 'encrypted_password' });
  });

  it('has an explicit decision for every secret-looking column of every entity', () => {
    const undecided = columns
      .filter(({ column }) => SecretLooking.test(column))
      .filter(
        ({ table, column }) =>
          !SecretColumns[table]?.includes(column) &&
          NotSecret[table]?.[column] === undefined &&
          !(table in TablesNeverExported && !exported.has(table)),
      )
      .map(({ table, column }) => `${table}.${column}`);
    // A new secret-looking column: list it in SecretColumns (never exported) or NotSecret (with the reason).
    expect(undecided).toEqual([]);
  });

  it('never exports the secrets the spec names', () => {
    const secrets = [
      ['users', 'encrypted_password'],
      ['users', 'reset_password_token'],
      ['users', 'reset_password_sent_at'],
      ['users', 'api_key'],
      ['users', 'email_api_key'],
      ['users', 'secret_token'],
      ['users', 'unsubscribe_token'],
      ['users', 'authentication_token'],
      ['users', 'remember_token'],
      ['users', 'current_sign_in_ip'],
      ['users', 'last_sign_in_ip'],
      ['groups', 'token'],
      ['memberships', 'token'],
      ['chatbots', 'secret'],
    ];
    for (const [table, column] of secrets)
      expect([table, column, isExportable(table, column)]).toEqual([table, column, false]);
  });

  it('leaves out an undecided secret-looking column at run time, and keeps ordinary ones', () => {
    expect(isExportable('users', 'sso_session_token')).toBe(false);
    expect(isExportable('comments', 'signing_secret')).toBe(false);
    expect(isExportable('users', 'name')).toBe(true);
    expect(isExportable('users', 'email')).toBe(true);
    expect(isExportable('discussions', 'key')).toBe(true);
  });

  it('exports no table that is declared never exported, and every exported table exists', () => {
    const tables = new Set(columns.map((c) => c.table));
    for (const table of exported) {
      expect(TablesNeverExported[table]).toBeUndefined();
      expect(tables.has(table)).toBe(true);
    }
  });
});
